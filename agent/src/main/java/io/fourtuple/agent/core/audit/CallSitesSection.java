package io.fourtuple.agent.core.audit;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.report.JsonWriter;
import io.fourtuple.agent.core.status.StatusSection;
import java.util.List;
import java.util.Map;

/**
 * The call-site part of a status and the body of the audit report: per call site what it does, how
 * often, toward which destinations, what enforce mode changes (or would change), and the fix in
 * configuration or code.
 */
public final class CallSitesSection implements StatusSection {
  private final CallSiteLedger ledger;
  private final boolean audit;
  private final int ephemeralPorts;

  /**
   * @param audit whether the agent observes only (the text then says what enforce <em>would</em>
   *     do)
   * @param ephemeralPorts size of the JVM's ephemeral port range, or -1 if unknown
   */
  public CallSitesSection(CallSiteLedger ledger, boolean audit, int ephemeralPorts) {
    this.ledger = ledger;
    this.audit = audit;
    this.ephemeralPorts = ephemeralPorts;
  }

  @Override
  public String name() {
    return "call sites";
  }

  @Override
  public void writeText(StringBuilder out) {
    List<CallSiteLedger.Site> sites = ledger.sites();
    if (sites.isEmpty()) {
      out.append(
          "  none yet: no client bind before connect has been seen since the agent started\n");
      return;
    }
    int n = 0;
    for (CallSiteLedger.Site s : sites) {
      out.append("  [").append(++n).append("] ").append(s.callSite).append('\n');
      out.append("      does:    ").append(does(s)).append('\n');
      out.append("      seen:    ")
          .append(s.estimated ? "~" : "")
          .append(s.estimatedCount)
          .append(s.estimatedCount == 1 ? " time" : " times")
          .append(s.estimated ? " (estimated from " + s.samples + " sampled)" : "")
          .append(", first on thread ")
          .append(s.firstThread)
          .append('\n');
      out.append("      toward:  ").append(destinations(s)).append('\n');
      out.append("      result:  ").append(results(s)).append('\n');
      out.append("      enforce: ").append(enforce(s)).append('\n');
      out.append("      fix:     ").append(fix(s)).append('\n');
    }
    if (ledger.sitesNotTracked() > 0 || ledger.pendingOverflow() > 0) {
      out.append("  (not attributed: ")
          .append(ledger.sitesNotTracked())
          .append(" observations beyond the ")
          .append(ledger.maxSites())
          .append("-site limit, ")
          .append(ledger.pendingOverflow())
          .append(" binds while ")
          .append(CallSiteLedger.MAX_PENDING)
          .append(" sockets awaited their connect)\n");
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    json.beginObject();
    json.field("mode", audit ? "audit" : "enforce");
    json.field("ephemeralPorts", ephemeralPorts);
    json.name("sites").beginArray();
    for (CallSiteLedger.Site s : ledger.sites()) {
      json.beginObject()
          .field("callSite", s.callSite)
          .field("kind", s.kind.name())
          .field("api", s.api.toString())
          .field("does", does(s))
          .field("count", s.estimatedCount)
          .field("estimated", s.estimated)
          .field("sampled", s.samples)
          .field("firstThread", s.firstThread)
          .field("firstSeenMillis", s.firstSeenMillis)
          .field("lastSeenMillis", s.lastSeenMillis)
          .field("connected", s.connected)
          .field("localPortReadBeforeConnect", s.readBeforeConnect);
      json.counts("localAddresses", s.locals)
          .counts("destinations", s.destinations)
          .field("destinationsNotShown", s.destinationsOverflow)
          .counts("failures", s.failures);
      json.name("outcomes").beginObject();
      for (Map.Entry<BindOutcome, Long> e : s.outcomes.entrySet()) {
        json.field(e.getKey().name(), e.getValue());
      }
      json.endObject();
      json.field("enforce", enforce(s)).field("fix", fix(s)).endObject();
    }
    json.endArray();
    json.field("observationsBeyondSiteLimit", ledger.sitesNotTracked());
    json.field("bindsNotAttributed", ledger.pendingOverflow());
    json.endObject();
  }

  static String does(CallSiteLedger.Site s) {
    String locals = s.locals.keySet().toString();
    switch (s.kind) {
      case BIND_PORT_ZERO:
        return s.api
            + " binds to "
            + locals
            + " before connect: the kernel picks the source port at bind, without the destination,"
            + " and reserves it for every destination";
      case EXPLICIT_SOURCE_PORT:
        return s.api
            + " binds to explicit source port(s) "
            + locals
            + " before connect: each such port leaves the pool every other connect on this host"
            + " picks from, while the socket is open";
      default:
        return s.kind.name();
    }
  }

  private String destinations(CallSiteLedger.Site s) {
    if (s.destinations.isEmpty()) {
      return "none reached (every sampled attempt failed before connect)";
    }
    StringBuilder out = new StringBuilder();
    // Only connects name a destination: a bind that fails never says where the socket was going.
    out.append(s.destinations.size())
        .append(s.destinations.size() == 1 ? " destination reached: " : " destinations reached: ");
    int shown = 0;
    for (Map.Entry<String, Long> e : s.destinations.entrySet()) {
      if (shown++ == 6) {
        out.append(" ...");
        break;
      }
      out.append(shown == 1 ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue());
    }
    if (s.destinationsOverflow > 0) {
      out.append(" (+").append(s.destinationsOverflow).append(" to destinations not listed)");
    }
    return out.toString();
  }

  private static String results(CallSiteLedger.Site s) {
    StringBuilder out = new StringBuilder();
    out.append(s.connected).append(" connected");
    for (Map.Entry<String, Long> e : s.failures.entrySet()) {
      out.append(", ").append(e.getValue()).append(" failed with ").append(e.getKey());
    }
    out.append(" (of ").append(s.samples).append(" sampled)");
    if (s.readBeforeConnect > 0) {
      out.append("; ")
          .append(s.readBeforeConnect)
          .append(" had their local port read before connect");
    }
    return out.toString();
  }

  String enforce(CallSiteLedger.Site s) {
    switch (s.kind) {
      case BIND_PORT_ZERO:
        if (audit) {
          StringBuilder out =
              new StringBuilder(
                  "would set IP_BIND_ADDRESS_NO_PORT before this bind, so the port is chosen at"
                      + " connect and shared per destination");
          int d = s.destinations.size();
          if (ephemeralPorts > 0 && d > 1) {
            out.append(": with ")
                .append(ephemeralPorts)
                .append(" ephemeral ports and the ")
                .append(d)
                .append(" destinations reached so far, room for ")
                .append((long) ephemeralPorts * d)
                .append(" connections instead of ")
                .append(ephemeralPorts)
                .append(" in total");
          }
          if (s.readBeforeConnect > 0) {
            out.append("; but ")
                .append(s.readBeforeConnect)
                .append(" of ")
                .append(s.samples)
                .append(" sampled sockets had their local port read before connect: enforce would")
                .append(" give those their port at that read, as the JDK does, so they would not")
                .append(" share");
          }
          return out.toString();
        }
        Long applied = s.outcomes.get(BindOutcome.APPLIED);
        String kept =
            s.readBeforeConnect == 0
                ? ""
                : "; "
                    + s.readBeforeConnect
                    + " of "
                    + s.samples
                    + " sampled sockets had their local port read before connect, so the agent"
                    + " gave each its port then, as the JDK would (observed before connect: JDK"
                    + " behaviour kept, no sharing for those)";
        return (applied != null && applied == s.samples
                ? "IP_BIND_ADDRESS_NO_PORT is set here (port chosen at connect, shared per"
                    + " destination)"
                : "enforce mode, but not every bind here was rewritten: " + s.outcomes)
            + kept;
      case EXPLICIT_SOURCE_PORT:
        return "nothing: an explicit port is what the application asked for, so it is never"
            + " changed";
      default:
        return "";
    }
  }

  static String fix(CallSiteLedger.Site s) {
    switch (s.kind) {
      case BIND_PORT_ZERO:
        return "configuration: run with fourtuple in enforce mode (-javaagent:fourtuple-agent.jar,"
            + " or attach without mode=audit). code: drop the local bind (the client's"
            + " localAddress setting) where the source address is not needed; where it is,"
            + " set IP_BIND_ADDRESS_NO_PORT before bind (Netty epoll:"
            + " EpollChannelOption.IP_BIND_ADDRESS_NO_PORT; the JDK has no API for it)";
      case EXPLICIT_SOURCE_PORT:
        return "code or configuration: bind to port 0 (let the kernel choose) unless a peer's"
            + " firewall really requires fixed source ports; if it does, keep those ports"
            + " out of ip_local_port_range (net.ipv4.ip_local_reserved_ports)";
      default:
        return "";
    }
  }
}
