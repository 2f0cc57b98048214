package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.report.JsonWriter;
import io.fourtuple.agent.core.report.UtcTime;
import java.util.Map;

/**
 * The ledger as JSON, schema {@code fourtuple.ledger/1} (documented in docs/ledger.md). The report
 * file is written by {@link io.fourtuple.agent.core.report.OutputFiles#replace}, so a reader sees
 * the old file or the new one, never half of one.
 */
public final class JsonReport {
  public static final String SCHEMA = "fourtuple.ledger/1";

  private JsonReport() {}

  public static String toJson(LedgerReport r, long pid) {
    JsonWriter j = new JsonWriter(4096 + r.rows.size() * 600).beginObject();
    j.field("schema", SCHEMA);
    j.field("time", UtcTime.millis(r.timeMillis));
    j.field("timeMillis", r.timeMillis);
    j.field("pid", pid);
    if (r.range == null) {
      j.field("range", (String) null);
    } else {
      j.name("range").beginObject();
      j.field("low", r.range.low());
      j.field("high", r.range.high());
      j.field("size", r.range.size());
      j.field("reserved", r.range.reservedInRange());
      j.field("usable", r.range.usable());
      j.field("connectParity", r.range.connectParityName());
      j.field("connectParityUsable", r.range.usableConnectParity());
      j.endObject();
    }
    j.name("kernel").beginObject();
    j.field("available", r.kernelAvailable);
    j.field("rows", r.kernelRows);
    j.field("readMillis", r.kernelReadMillis);
    j.field("listenerPortsInRange", r.listenerPortsInRange);
    j.field("portsInUseInRange", r.portsInUseInRange);
    j.field("ownSockets", r.ownSockets);
    j.endObject();
    j.name("totals").beginObject();
    j.field("destinations", r.destinations);
    j.field("maxDestinations", r.maxDestinations);
    j.field("overflowConnects", r.overflowConnects);
    j.field("connects", r.connects);
    j.field("followedSockets", r.followedSockets);
    j.field("maxSockets", r.maxSockets);
    j.field("untrackedSockets", r.untrackedSockets);
    j.field("closedByCollector", r.closedByCollector);
    j.field("closedPerKernel", r.closedPerKernel);
    j.counts("bindFailures", r.bindFailures);
    j.field("samplesDropped", r.samplesDropped);
    j.field("callSitesOverCap", r.callSitesOverCap);
    j.endObject();
    j.field("warnThreshold", r.warnThreshold);
    j.name("destinations").beginArray();
    for (LedgerReport.Row row : r.rows) {
      j.beginObject();
      j.field("destination", row.destination);
      j.field("overflow", row.overflow);
      j.field("live", row.live);
      j.field("peak", row.peak);
      j.field("total", row.total);
      j.field("ratePerSecond", row.ratePerSecond);
      j.counts("failures", row.failures);
      j.field("distinctPorts", row.distinctPorts);
      j.strings("sources", row.sources);
      j.field("setup", row.setup);
      j.counts("setups", row.setups);
      j.name("callSites").beginArray();
      for (Map.Entry<String, Long> site : row.callSites) {
        j.beginObject()
            .field("site", site.getKey())
            .field("samples", site.getValue().longValue())
            .endObject();
      }
      j.endArray();
      j.field("otherCallSites", row.otherCallSites);
      if (row.kernelKnown) {
        j.name("kernel").beginObject();
        j.field("established", row.established);
        j.field("timeWait", row.timeWait);
        j.field("otherStates", row.otherStates);
        j.field("own", row.own);
        j.field("others", row.others);
        j.field("orphans", row.orphans);
        j.endObject();
      } else {
        j.field("kernel", (String) null);
      }
      if (row.headroomKnown) {
        j.name("headroom").beginObject();
        j.field("model", row.sharedPool ? "shared" : "per-destination");
        j.field("pool", row.pool);
        j.field("used", row.used);
        j.field("heldForAll", row.heldForAll);
        j.field("free", row.headroom);
        j.field("projected", row.projected);
        j.field("runsOutInSeconds", row.etaSeconds);
        j.field("sustainablePerSecond", row.sustainableRate);
        j.field("connectParityUsed", row.connectParityUsed);
        j.field("otherParityUsed", row.otherParityUsed);
        j.field("connectParityPool", row.connectParityPool);
        j.field("cause", row.cause());
        j.field("action", row.action());
        j.endObject();
      } else {
        j.field("headroom", (String) null);
      }
      j.endObject();
    }
    j.endArray();
    j.strings("findings", r.findings);
    j.endObject();
    return j + "\n";
  }
}
