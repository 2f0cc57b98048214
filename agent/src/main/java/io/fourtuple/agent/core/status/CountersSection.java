package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.report.JsonWriter;

/**
 * The {@code counters} part of a status: what the hooks counted since the agent started, per API.
 */
public final class CountersSection implements StatusSection {
  private final AgentStats stats;
  private final long reportsDropped;

  public CountersSection(AgentStats stats, long reportsDropped) {
    this.stats = stats;
    this.reportsDropped = reportsDropped;
  }

  @Override
  public String name() {
    return "counters";
  }

  @Override
  public void writeText(StringBuilder out) {
    out.append("  since the agent started: ").append(stats.describe()).append('\n');
    if (reportsDropped > 0) {
      out.append("  ").append(reportsDropped).append(" report lines dropped (queue full)\n");
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    json.beginObject();
    for (Api api : Api.values()) {
      json.name(api.toString()).beginObject();
      json.name("binds").beginObject();
      for (BindOutcome o : BindOutcome.values()) {
        json.field(o.name(), stats.binds(api, o));
      }
      json.endObject();
      json.field("connected", stats.connected(api));
      json.field("connectsInProgress", stats.connectsInProgress(api));
      json.field("localPortReadBeforeConnect", stats.localPortReadsBeforeConnect(api));
      json.name("connectFailures").beginObject();
      for (ConnectFailure f : ConnectFailure.values()) {
        json.field(f.name(), stats.connectFailures(api, f));
      }
      json.endObject();
      json.name("bindFailures").beginObject();
      for (ConnectFailure f : ConnectFailure.values()) {
        json.field(f.name(), stats.bindFailures(api, f));
      }
      json.endObject();
      json.endObject();
    }
    json.field("internalErrors", stats.internalErrors());
    json.field("reportsDropped", reportsDropped);
    json.endObject();
  }
}
