package io.fourtuple.agent;

import io.fourtuple.agent.core.control.ControlRequest;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.TcpState;
import io.fourtuple.agent.core.kernel.TcpTable;
import io.fourtuple.agent.platform.KernelInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * {@code java -jar fourtuple-agent.jar doctor}: what this host's kernel means for outbound
 * connections, read from the network namespace the command runs in (run it inside a container's
 * namespace, e.g. with {@code nsenter -t <pid> -n}, to see that container). Reads {@code /proc}
 * only; needs no agent and no target JVM.
 *
 * <p>Option support is judged by kernel version (IP_BIND_ADDRESS_NO_PORT: Linux 4.2,
 * IP_LOCAL_PORT_RANGE: 6.3): the command runs in a JVM without the agent's access to the JDK's
 * socket internals.
 */
final class Doctor {
  static final int TOP = 10;

  private Doctor() {}

  static int run(PrintStream out) {
    KernelInfo kernel = KernelInfo.current();
    out.println("fourtuple doctor: outbound source ports on this host, as the kernel sees them");
    out.println(
        "(the network namespace of this process; run it in a container's namespace for that");
    out.println(" container)");
    out.println();
    row(out, "kernel", kernel.osName() + " " + kernel.release());
    if (!kernel.isLinux()) {
      return end(out, "Not Linux: the agent observes only; nothing here applies.");
    }
    row(
        out,
        "IP_BIND_ADDRESS_NO_PORT",
        kernel.isAtLeast(4, 2)
            ? "supported (Linux 4.2+): the agent can defer bind-before-connect ports to connect()"
            : "NOT supported (needs Linux 4.2): bind-before-connect clients share one pool of"
                + " ports");
    row(
        out,
        "IP_LOCAL_PORT_RANGE",
        kernel.isAtLeast(6, 3)
            ? "supported (Linux 6.3+): fourtuple.ports.slice=LOW-HIGH gives a JVM its own slice"
                + " of the range"
            : "not supported (needs Linux 6.3)");
    PortRange range = PortRange.current();
    if (range == null) {
      return end(
          out, "/proc/sys/net/ipv4/ip_local_port_range is not readable; nothing more to say.");
    }
    row(
        out,
        "ephemeral range",
        String.format(
            Locale.ROOT,
            "%d-%d = %,d ports (net.ipv4.ip_local_port_range)",
            range.low(),
            range.high(),
            range.size()));
    row(
        out,
        "reserved ports",
        range.reservedText().isEmpty()
            ? "none (net.ipv4.ip_local_reserved_ports)"
            : String.format(
                Locale.ROOT,
                "%s: %,d of them in the range, leaving %,d",
                range.reservedText(),
                range.reservedInRange(),
                range.usable()));
    row(
        out,
        "parity",
        kernel.isAtLeast(4, 6)
            ? String.format(
                Locale.ROOT,
                "connect() tries the %,d %s ports first, bind(ip, 0) the %s ones (Linux 4.6+)",
                range.usableConnectParity(),
                range.connectParityName(),
                range.bindParityName())
            : "no parity split (before Linux 4.6)");
    KernelView view = KernelView.read(new TcpTable(), range, OwnSockets.current(), null);
    if (!view.available()) {
      return end(out, "/proc/net/tcp is not readable; nothing more to say.");
    }
    int established = view.state(TcpState.ESTABLISHED);
    int timeWait = view.state(TcpState.TIME_WAIT);
    int listen = view.state(TcpState.LISTEN);
    row(
        out,
        "socket table",
        String.format(
            Locale.ROOT,
            "%,d TCP sockets: %,d ESTABLISHED, %,d TIME_WAIT, %,d LISTEN, %,d other (read in %.1f"
                + " ms)",
            view.rows(),
            established,
            timeWait,
            listen,
            view.rows() - established - timeWait - listen,
            view.readNanos() / 1e6));
    row(
        out,
        "listeners in range",
        view.listenerPortsInRange() == 0
            ? "none"
            : String.format(
                Locale.ROOT,
                "%,d %s held by listening sockets: out of every destination's pool",
                view.listenerPortsInRange(),
                view.listenerPortsInRange() == 1
                    ? "port of the range is"
                    : "ports of the range are"));
    row(
        out,
        "inbound",
        String.format(
            Locale.ROOT,
            "%,d accepted connections (to this host's listeners; not counted as destinations)",
            view.inbound()));
    row(
        out,
        "range in use",
        String.format(
            Locale.ROOT,
            "%,d of %,d ports are held by some socket (what a plain bind(ip, 0) has to avoid)",
            view.portsInUseInRange(),
            range.usable()));

    List<KernelView.DestinationTable> all =
        new ArrayList<KernelView.DestinationTable>(view.destinations());
    out.println();
    table(out, "top destinations by ESTABLISHED", all, TcpState.ESTABLISHED, range, view);
    out.println();
    table(out, "top destinations by TIME_WAIT", all, TcpState.TIME_WAIT, range, view);
    out.println();
    out.println("what it means");
    for (String line : meaning(kernel, range, view, all)) {
      out.println("  - " + line);
    }
    return ControlRequest.OK;
  }

  private static int end(PrintStream out, String why) {
    out.println();
    out.println(why);
    return ControlRequest.OK;
  }

  private static void row(PrintStream out, String name, String value) {
    out.println(String.format(Locale.ROOT, "%-24s %s", name, value));
  }

  private static void table(
      PrintStream out,
      String title,
      List<KernelView.DestinationTable> all,
      final int state,
      PortRange range,
      KernelView view) {
    List<KernelView.DestinationTable> sorted = new ArrayList<KernelView.DestinationTable>(all);
    Collections.sort(sorted, (a, b) -> Integer.compare(b.state(state), a.state(state)));
    out.println(title);
    out.println("  destination                     estab       tw    other  in range   free/pool");
    int n = 0;
    for (KernelView.DestinationTable t : sorted) {
      if (t.state(state) == 0 || n++ == TOP) {
        break;
      }
      int free = Math.max(0, range.usable() - view.listenerPortsInRange() - busiest(t));
      out.println(
          String.format(
              Locale.ROOT,
              "  %-28s %8d %8d %8d %9d %11s",
              t.destination(),
              t.state(TcpState.ESTABLISHED),
              t.state(TcpState.TIME_WAIT),
              t.total() - t.state(TcpState.ESTABLISHED) - t.state(TcpState.TIME_WAIT),
              t.inRange(),
              free + "/" + range.usable()));
    }
    if (n == 0) {
      out.println("  (none)");
    }
  }

  /** The ports of the range that the destination's busiest source IP holds. */
  private static int busiest(KernelView.DestinationTable t) {
    int busiest = 0;
    for (KernelView.SourceUse s : t.sources()) {
      busiest = Math.max(busiest, s.inRange());
    }
    return busiest;
  }

  static List<String> meaning(
      KernelInfo kernel, PortRange range, KernelView view, List<KernelView.DestinationTable> all) {
    List<String> lines = new ArrayList<String>();
    int pool = range.usable() - view.listenerPortsInRange();
    lines.add(
        String.format(
            Locale.ROOT,
            "Each destination (IP and port) can take up to %,d connections per source IP through"
                + " plain connect(): the range, less reserved ports and listeners' ports. The limit"
                + " is per destination, not per host.",
            pool));
    lines.add(
        String.format(
            Locale.ROOT,
            "A client that binds to (ip, 0) before connecting reserves its port for every"
                + " destination: all such sockets share %,d ports%s.",
            range.usable(),
            kernel.isAtLeast(4, 2)
                ? "; the agent sets IP_BIND_ADDRESS_NO_PORT on them so each destination gets the"
                    + " range"
                : ", and this kernel cannot defer the choice"));
    KernelView.DestinationTable worst = null;
    int worstUsed = -1;
    for (KernelView.DestinationTable t : all) {
      int used = busiest(t);
      if (used > worstUsed) {
        worstUsed = used;
        worst = t;
      }
    }
    if (worst != null && worstUsed > 0) {
      int tw = worst.state(TcpState.TIME_WAIT);
      lines.add(
          String.format(
              Locale.ROOT,
              "The busiest destination, %s, uses %,d of %,d ports from one source IP (%.0f%%)%s.",
              worst.destination(),
              worstUsed,
              pool,
              pool <= 0 ? 100.0 : 100.0 * worstUsed / pool,
              tw > 0
                  ? String.format(
                      Locale.ROOT,
                      "; %,d of them in TIME_WAIT, which at 60 s each means about %s connections/s"
                          + " closed from this side: reusing connections would free them",
                      tw,
                      tw >= 600
                          ? String.format(Locale.ROOT, "%,.0f", tw / 60.0)
                          : String.format(Locale.ROOT, "%.1f", tw / 60.0))
                  : ""));
    } else {
      lines.add("No outbound connection uses a port of the range now.");
    }
    if (view.listenerPortsInRange() > 0) {
      lines.add(
          String.format(
              Locale.ROOT,
              "%,d listening %s inside the ephemeral range; those ports are lost to every client"
                  + " on this host (move such services below %d or reserve their ports).",
              view.listenerPortsInRange(),
              view.listenerPortsInRange() == 1 ? "port sits" : "ports sit",
              range.low()));
    }
    if (kernel.isAtLeast(4, 6)) {
      lines.add(
          String.format(
              Locale.ROOT,
              "When one destination has used most of the %s ports, connect() searches the %s half"
                  + " too, holding a lock: system CPU rises before connects fail, so watch"
                  + " headroom, not only errors.",
              range.connectParityName(),
              range.bindParityName()));
    }
    return lines;
  }
}
