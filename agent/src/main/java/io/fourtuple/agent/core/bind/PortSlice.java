package io.fourtuple.agent.core.bind;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.platform.SocketOptions;
import java.io.FileDescriptor;
import java.util.concurrent.atomic.LongAdder;

/**
 * This JVM's slice of the ephemeral range ({@code fourtuple.ports.slice}): {@code
 * IP_LOCAL_PORT_RANGE} set on every outbound socket the hooks see before the kernel picks its
 * source port (a connect without bind, a client bind to port 0 with or without {@code
 * IP_BIND_ADDRESS_NO_PORT}), so that services sharing a source address and a backend draw from
 * ports of their own and one that churns cannot exhaust the other.
 *
 * <p>Kernel facts (measured on Linux 6.18 with JDK 8 to 25): the option exists since Linux 6.3
 * (ENOPROTOOPT before); the kernel accepts a slice outside {@code ip_local_port_range} and then
 * silently ignores it, and silently narrows one partly outside; LOW above HIGH is EINVAL. So the
 * slice is checked here against the namespace's range, and set on a throwaway socket and read back
 * once at start; anything wrong leaves it off with one line and the application runs on.
 */
public final class PortSlice {
  /** No slice configured. */
  public static final PortSlice NONE = new PortSlice(null, null, null);

  /** The configured slice ({@link AgentConfig#portSlice()}), null for none. */
  private final PortRange ports;

  /** How the slice is set; null when it is not applied. */
  private final SocketOptions options;

  /** Why a configured slice is not applied, or null. */
  private final String problem;

  private final LongAdder applied = new LongAdder(); // per connect: no shared cache line
  private volatile boolean refused;

  private PortSlice(PortRange ports, SocketOptions options, String problem) {
    this.ports = ports;
    this.options = options;
    this.problem = problem;
  }

  /** The configured slice, checked against this namespace's range: see below. */
  public static PortSlice start(AgentConfig config, SocketOptions options) {
    return config.portSlice() == null ? NONE : start(config, PortRange.current(), options);
  }

  /**
   * The configured slice, checked against {@code range} (the namespace's, null when unreadable) and
   * probed on a throwaway socket through {@code options}. Called once at start, before the hooks
   * are live; never throws.
   */
  public static PortSlice start(AgentConfig config, PortRange range, SocketOptions options) {
    PortRange wanted = config.portSlice();
    if (wanted == null) {
      return NONE;
    }
    int low = wanted.low();
    int high = wanted.high();
    String problem = config.audit() ? "audit mode changes no socket" : check(low, high, range);
    if (problem == null) {
      problem = probe(low, high, options);
    }
    if (problem == null) {
      return new PortSlice(wanted, options, null);
    }
    return new PortSlice(
        wanted,
        null,
        Setting.PORTS_SLICE.propertyName()
            + "="
            + low
            + "-"
            + high
            + " ("
            + config.source(Setting.PORTS_SLICE)
            + ") not applied: "
            + problem
            + "; every socket draws from the whole range");
  }

  /**
   * Why the slice cannot be used in {@code range}, or null. A slice partly outside is refused
   * rather than narrowed: the user sized it, and the kernel's silent intersection would give a
   * smaller slice than the one asked for.
   */
  static String check(int low, int high, PortRange range) {
    if (range == null) {
      return "/proc/sys/net/ipv4/ip_local_port_range cannot be read";
    }
    if (low > range.high() || high < range.low()) {
      return "it lies outside this network namespace's ephemeral range "
          + range
          + " (net.ipv4.ip_local_port_range), where the kernel would silently ignore it";
    }
    if (low < range.low() || high > range.high()) {
      return "it lies partly outside this network namespace's ephemeral range "
          + range
          + " (net.ipv4.ip_local_port_range), where the kernel would silently narrow it to "
          + Math.max(low, range.low())
          + "-"
          + Math.min(high, range.high());
    }
    return null;
  }

  /** Sets the slice on a throwaway socket and reads it back: why it cannot be used, or null. */
  static String probe(int low, int high, SocketOptions options) {
    if (!options.isAvailable()) {
      return "socket options cannot be set (" + options.unavailabilityCause() + ")";
    }
    int value = value(low, high);
    try {
      int kept = options.probeLocalPortRange(value);
      return kept == value
          ? null
          : "the kernel kept " + (kept & 0xFFFF) + "-" + (kept >>> 16) + " on a test socket";
    } catch (Throwable t) {
      return SocketOptions.Failure.classify(t) == SocketOptions.Failure.UNSUPPORTED
          ? "the kernel lacks IP_LOCAL_PORT_RANGE (" + t.getMessage() + "; it needs Linux 6.3+)"
          : "setting IP_LOCAL_PORT_RANGE on a test socket failed (" + t + ")";
    }
  }

  /** The option's value: {@code high << 16 | low}. */
  static int value(int low, int high) {
    return high << 16 | low;
  }

  /** Whether the slice is set on sockets. */
  public boolean active() {
    return options != null && !refused;
  }

  /** Whether a slice was configured at all. */
  public boolean configured() {
    return ports != null;
  }

  public int low() {
    return ports == null ? 0 : ports.low();
  }

  public int high() {
    return ports == null ? 0 : ports.high();
  }

  /** Why a configured slice is not applied (one line), or null. */
  public String problem() {
    return problem;
  }

  /**
   * Sets the slice on {@code fd}, a TCP client socket before the kernel picks its port. Returns
   * what went wrong, for the caller to report once, or null (also when the slice is off or the
   * descriptor is not open, where the JDK's own call throws as it would). The kernel refusing the
   * option turns the slice off for the process.
   */
  public Throwable apply(FileDescriptor fd) {
    if (!active()) {
      return null;
    }
    try {
      options.setLocalPortRange(fd, value(ports.low(), ports.high()));
      applied.increment();
      return null;
    } catch (SocketOptions.NotOpenException notOpen) {
      return null;
    } catch (Throwable t) {
      switch (SocketOptions.Failure.classify(t)) {
        case CLOSED:
          return null;
        case UNSUPPORTED:
          refused = true;
          return t;
        default:
          return t;
      }
    }
  }

  /** Sockets the slice was set on so far. */
  public long appliedCount() {
    return applied.sum();
  }

  /**
   * The slice of {@code range} the ledger counts against: {@code range} itself when no slice is
   * applied.
   */
  public PortRange narrow(PortRange range) {
    return range == null || options == null ? range : range.narrowed(ports.low(), ports.high());
  }

  /**
   * What the kernel table shows of the slice and of the rest of {@code range} (the namespace's):
   * ports of the slice in use (TIME_WAIT included), and ports outside it in use, by the neighbours
   * that share the range (or by this JVM's listeners and explicit binds).
   */
  public String use(KernelView view, PortRange range) {
    int slicePorts = view.portsInUse(ports.low(), ports.high());
    int rest = view.portsInUseInRange() - slicePorts;
    return slicePorts
        + " of its "
        + ports.size()
        + " ports in use; "
        + rest
        + " of the other "
        + (range.size() - ports.size())
        + " ports of "
        + range.low()
        + "-"
        + range.high()
        + " in use outside the slice (neighbours' sockets, TIME_WAIT included)";
  }

  /** For the startup line and {@code status}. */
  public String describe() {
    if (!configured()) {
      return "none (the whole ephemeral range)";
    }
    if (options == null) {
      return "not applied: " + problem;
    }
    return ports
        + ", IP_LOCAL_PORT_RANGE set on "
        + applied.sum()
        + " sockets"
        + (refused ? "; then refused by the kernel, off since" : "");
  }
}
