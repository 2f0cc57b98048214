package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.kernel.Endpoint;
import io.fourtuple.agent.core.kernel.IntSet;
import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.TcpState;
import io.fourtuple.agent.core.kernel.TcpTable;
import io.fourtuple.agent.core.report.JsonWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code sockets} part of a status: this process's outbound TCP connections per destination,
 * read from the kernel's table when the status is asked for (so connections opened before attach
 * count), with the listening and accepted sockets summed up. Per destination at most {@link
 * #MAX_DESTINATIONS} rows, the rest summed in one line.
 *
 * <p>Hazard: reads {@code /proc} (a few ms with thousands of sockets); never call it from a hook or
 * while holding a socket lock.
 */
public final class SocketsSection implements StatusSection {
  static final int MAX_DESTINATIONS = 64;

  private final String problem;
  private final long readAtMillis = System.currentTimeMillis();
  private final int openAtStart;
  private final int sockets;
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

  /** One socket of this process, copied from the table's reused row. */
  static final class Own {
    final Endpoint local;
    final Endpoint remote;
    final int state;

    Own(TcpTable.Row r) {
      local = Endpoint.of(Arrays.copyOf(r.local, r.localLength), r.localPort);
      remote = Endpoint.of(Arrays.copyOf(r.remote, r.remoteLength), r.remotePort);
      state = r.state;
    }
  }

  /**
   * Keeps the rows whose inode this process holds, each once: the kernel writes the table a chunk
   * at a time, and a row can be listed twice.
   */
  static final class Collector implements TcpTable.Visitor {
    final OwnSockets own;
    final IntSet seen = new IntSet();
    final List<Own> rows = new ArrayList<Own>();

    Collector(OwnSockets own) {
      this.own = own;
    }

    @Override
    public void row(TcpTable.Row r) {
      if (own.contains(r.inode) && seen.add(r.inode)) {
        rows.add(new Own(r));
      }
    }
  }

  /**
   * @param openAtStart how many TCP sockets the process had when the agent started, or -1 if not
   *     known
   */
  SocketsSection(List<Own> rows, String problem, int openAtStart) {
    this.problem = problem;
    this.openAtStart = openAtStart;
    this.sockets = rows.size();
    Set<Integer> listen = new HashSet<Integer>();
    for (Own e : rows) {
      if (e.state == TcpState.LISTEN) {
        listen.add(e.local.port());
      }
    }
    for (Own e : rows) {
      boolean live = e.state == TcpState.ESTABLISHED || e.state == TcpState.SYN_SENT;
      if (e.state == TcpState.LISTEN) {
        listening++;
      } else if (live && !listen.contains(e.local.port())) {
        outbound++;
        Destination d = destinations.get(e.remote.toString());
        if (d == null) {
          d = new Destination();
          destinations.put(e.remote.toString(), d);
        }
        if (e.state == TcpState.ESTABLISHED) {
          d.established++;
        } else {
          d.connecting++;
        }
        d.localPorts.add(e.local.port());
        d.sourceIps.add(e.local.host());
      } else if (e.state == TcpState.ESTABLISHED) {
        inbound++;
      }
    }
  }

  /** Reads this process's sockets from {@code /proc/self} now; never throws. */
  public static SocketsSection read(int openAtStart) {
    OwnSockets own = OwnSockets.current();
    if (own == null) {
      return new SocketsSection(new ArrayList<Own>(), "no /proc/self/fd (not Linux?)", openAtStart);
    }
    Collector collector = new Collector(own);
    if (!new TcpTable().readProc("/proc/self", collector)) {
      return new SocketsSection(
          new ArrayList<Own>(), "cannot read /proc/self/net/tcp or tcp6", openAtStart);
    }
    return new SocketsSection(collector.rows, null, openAtStart);
  }

  /** How many TCP sockets this process holds now (0 when the table cannot be read). */
  public static int ownTcpSockets() {
    return read(-1).sockets;
  }

  @Override
  public String name() {
    return "sockets";
  }

  @Override
  public void writeText(StringBuilder out) {
    if (problem != null) {
      out.append("  kernel socket table unavailable: ").append(problem).append('\n');
      return;
    }
    out.append(
        String.format(
            "  from the kernel's table (/proc/self/net/tcp*), now: %s outbound to %s destinations,"
                + " %s accepted, %s listening",
            outbound, destinations.size(), inbound, listening));
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
      out.append(", ").append(d.localPorts.size()).append(" local ports, from ");
      out.append(String.join(", ", d.sourceIps)).append('\n');
    }
    if (restConnections > 0) {
      out.append(
          String.format(
              "  ... %s more destinations with %s connections\n",
              destinations.size() - MAX_DESTINATIONS, restConnections));
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    json.beginObject();
    json.field("source", "/proc/self/net/tcp,tcp6");
    if (problem != null) {
      json.field("problem", problem).endObject();
      return;
    }
    json.field("readAtMillis", readAtMillis)
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
          .field("localPorts", d.localPorts.size())
          .strings("sourceIps", d.sourceIps)
          .endObject();
    }
    json.endArray();
    json.field("destinationsNotShown", Math.max(0, destinations.size() - MAX_DESTINATIONS));
    json.endObject();
  }
}
