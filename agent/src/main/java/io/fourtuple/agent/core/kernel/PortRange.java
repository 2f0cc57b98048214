package io.fourtuple.agent.core.kernel;

import java.util.BitSet;
import java.util.StringTokenizer;

/**
 * The pool {@code connect()} picks source ports from, in the reader's network namespace: {@code
 * net.ipv4.ip_local_port_range} minus {@code net.ipv4.ip_local_reserved_ports} (the sysctls apply
 * to IPv6 too).
 *
 * <p>Kernel fact (Linux 4.6+, {@code __inet_hash_connect}): {@code connect()} first tries the ports
 * whose parity matches the range's low end and walks the other half only when that half has no free
 * port for the destination; {@code bind()} to port 0 prefers the other parity. The walk of the
 * second half happens under a spinlock, so system CPU rises before connects start failing.
 */
public final class PortRange {
  private final int low;
  private final int high;
  private final BitSet reserved;
  private final String reservedText;

  private PortRange(int low, int high, BitSet reserved, String reservedText) {
    this.low = low;
    this.high = high;
    this.reserved = reserved;
    this.reservedText = reservedText;
  }

  /** Reads the running namespace; null when the files are absent (not Linux) or unreadable. */
  public static PortRange current() {
    String range = Proc.firstLine("/proc/sys/net/ipv4/ip_local_port_range");
    if (range == null) {
      return null;
    }
    try {
      return parse(range, Proc.firstLine("/proc/sys/net/ipv4/ip_local_reserved_ports"));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * From the sysctl texts: {@code "32768\t60999"} and {@code "8080,9000-9010"} (empty for none).
   *
   * @throws IllegalArgumentException when either does not parse
   */
  public static PortRange parse(String range, String reservedPorts) {
    // Not split("\\s+"): the regex classes are the largest share of what reading the kernel facts
    // loads at start.
    StringTokenizer parts = new StringTokenizer(range);
    if (parts.countTokens() != 2) {
      throw new IllegalArgumentException("ip_local_port_range: '" + range + "'");
    }
    int low = Integer.parseInt(parts.nextToken());
    int high = Integer.parseInt(parts.nextToken());
    if (!valid(low, high)) {
      throw new IllegalArgumentException("ip_local_port_range: '" + range + "'");
    }
    BitSet reserved = new BitSet(65536);
    String text = reservedPorts == null ? "" : reservedPorts.trim();
    if (!text.isEmpty()) {
      for (String item : text.split(",")) {
        String s = item.trim();
        int dash = s.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? s : s.substring(0, dash).trim());
        int to = dash < 0 ? from : Integer.parseInt(s.substring(dash + 1).trim());
        if (from < 0 || to > 65535 || from > to) {
          throw new IllegalArgumentException("ip_local_reserved_ports: '" + reservedPorts + "'");
        }
        reserved.set(from, to + 1);
      }
    }
    return new PortRange(low, high, reserved, text);
  }

  /**
   * A range written {@code LOW-HIGH} ({@code fourtuple.ports.slice}; spaces around either port
   * allowed), with no reserved ports; null when the text is not two ports, 1 <= LOW <= HIGH <=
   * 65535.
   */
  public static PortRange slice(String text) {
    int dash = text.indexOf('-');
    if (dash < 0) {
      return null;
    }
    int low = port(text.substring(0, dash).trim());
    int high = port(text.substring(dash + 1).trim());
    return valid(low, high) ? new PortRange(low, high, new BitSet(), "") : null;
  }

  /** One to nine ASCII digits (leading zeros allowed) as a number, or -1. */
  private static int port(String digits) {
    if (digits.isEmpty() || digits.length() > 9) {
      return -1;
    }
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        return -1;
      }
    }
    return Integer.parseInt(digits);
  }

  private static boolean valid(int low, int high) {
    return low >= 1 && high <= 65535 && low <= high;
  }

  /** This range narrowed to {@code low}-{@code high} (a port slice), reserved ports kept. */
  public PortRange narrowed(int low, int high) {
    return new PortRange(
        Math.max(low, this.low), Math.min(high, this.high), reserved, reservedText);
  }

  public int low() {
    return low;
  }

  public int high() {
    return high;
  }

  /** Ports in the range, reserved ones included. */
  public int size() {
    return high - low + 1;
  }

  public boolean contains(int port) {
    return port >= low && port <= high;
  }

  /** Ports of the range that {@code ip_local_reserved_ports} takes out. */
  public int reservedInRange() {
    int n = 0;
    for (int p = reserved.nextSetBit(low); p >= 0 && p <= high; p = reserved.nextSetBit(p + 1)) {
      n++;
    }
    return n;
  }

  /** The pool: ports in range that are not reserved. */
  public int usable() {
    return size() - reservedInRange();
  }

  /** The sysctl text of the reserved ports, empty for none. */
  public String reservedText() {
    return reservedText;
  }

  /**
   * True when {@code port} has the parity {@code connect()} tries first (that of the range's low
   * end).
   */
  public boolean isConnectParity(int port) {
    return ((port - low) & 1) == 0;
  }

  /** Usable ports with the parity {@code connect()} tries first. */
  public int usableConnectParity() {
    int n = 0;
    for (int p = low; p <= high; p += 2) {
      if (!reserved.get(p)) {
        n++;
      }
    }
    return n;
  }

  /** {@code 32768-60999 (28232 ports)}. */
  @Override
  public String toString() {
    return low + "-" + high + " (" + size() + " ports)";
  }

  /** {@code even} or {@code odd}: the parity connect() prefers. */
  public String connectParityName() {
    return (low & 1) == 0 ? "even" : "odd";
  }

  /** The other parity: the one bind() to port 0 prefers. */
  public String bindParityName() {
    return (low & 1) == 0 ? "odd" : "even";
  }
}
