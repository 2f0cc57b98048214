package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.report.JsonWriter;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code sockets} part of a status: this process's outbound TCP connections per destination,
 * read from the kernel's table when the status is asked for (so connections opened before attach
 * count), with the listening and accepted sockets summed up. Per destination at most {@link
 * #MAX_DESTINATIONS} rows, the rest summed in one line.
 */
public final class SocketsSection implements StatusSection {
  static final int MAX_DESTINATIONS = 64;

  private final OwnSocketTable table;
  private final int openAtStart;
  private final Map<String, Destination> destinations = new TreeMap<String, Destination>();
  private int listening;
  private int inbound;
  private int outbound;

  /** What one destination holds. */
  static final class Destination {
    int established;
    int connecting;
    final Set<Integer> localPorts = new TreeSet<Integer>();
    final Set<String> sourceIps = new TreeSet<String>();
  }

  /**
   * @param openAtStart how many TCP sockets the process had when the agent started, or -1 if not
   *     known
   */
  public SocketsSection(OwnSocketTable table, int openAtStart) {
    this.table = table;
    this.openAtStart = openAtStart;
    Set<Integer> listen = table.listeningPorts();
    for (OwnSocketTable.Entry e : table.entries()) {
      if (e.state == OwnSocketTable.LISTEN) {
        listening++;
      } else if (table.isOutbound(e, listen)) {
        outbound++;
        Destination d = destinations.get(e.remote());
        if (d == null) {
          d = new Destination();
          destinations.put(e.remote(), d);
        }
        if (e.state == OwnSocketTable.ESTABLISHED) {
          d.established++;
        } else {
          d.connecting++;
        }
        d.localPorts.add(e.localPort);
        d.sourceIps.add(e.localIp);
      } else if (e.state == OwnSocketTable.ESTABLISHED) {
        inbound++;
      }
    }
  }

  @Override
  public String name() {
    return "sockets";
  }

  @Override
  public void writeText(StringBuilder out) {
    if (table.problem() != null) {
      out.append("  kernel socket table unavailable: ").append(table.problem()).append('\n');
      return;
    }
    out.append("  from the kernel's table (/proc/self/net/tcp*), now: ")
        .append(outbound)
        .append(" outbound to ")
        .append(destinations.size())
        .append(" destinations, ")
        .append(inbound)
        .append(" accepted, ")
        .append(listening)
        .append(" listening");
    if (openAtStart >= 0) {
      out.append("; ").append(openAtStart).append(" TCP sockets were open when the agent started");
    }
    out.append('\n');
    int shown = 0;
    int restConnections = 0;
    for (Map.Entry<String, Destination> e : destinations.entrySet()) {
      Destination d = e.getValue();
      if (shown++ >= MAX_DESTINATIONS) {
        restConnections += d.established + d.connecting;
        continue;
      }
      out.append("  ").append(e.getKey()).append(": ").append(d.established).append(" established");
      if (d.connecting > 0) {
        out.append(", ").append(d.connecting).append(" connecting");
      }
      out.append(", ")
          .append(d.localPorts.size())
          .append(" local ports, from ")
          .append(join(d.sourceIps))
          .append('\n');
    }
    if (restConnections > 0) {
      out.append("  ... ")
          .append(destinations.size() - MAX_DESTINATIONS)
          .append(" more destinations with ")
          .append(restConnections)
          .append(" connections\n");
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    json.beginObject();
    json.field("source", "/proc/self/net/tcp,tcp6");
    if (table.problem() != null) {
      json.field("problem", table.problem()).endObject();
      return;
    }
    json.field("readAtMillis", table.readAtMillis())
        .field("outbound", outbound)
        .field("inbound", inbound)
        .field("listening", listening)
        .field("openAtAgentStart", openAtStart);
    json.name("destinations").beginArray();
    int shown = 0;
    for (Map.Entry<String, Destination> e : destinations.entrySet()) {
      if (shown++ >= MAX_DESTINATIONS) {
        break;
      }
      Destination d = e.getValue();
      json.beginObject()
          .field("destination", e.getKey())
          .field("established", d.established)
          .field("connecting", d.connecting)
          .field("localPorts", d.localPorts.size());
      json.name("sourceIps").beginArray();
      for (String ip : d.sourceIps) {
        json.value(ip);
      }
      json.endArray().endObject();
    }
    json.endArray();
    json.field("destinationsNotShown", Math.max(0, destinations.size() - MAX_DESTINATIONS));
    json.endObject();
  }

  private static String join(Set<String> items) {
    StringBuilder out = new StringBuilder();
    for (String s : items) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(s);
    }
    return out.toString();
  }
}
