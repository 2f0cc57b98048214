package io.fourtuple.agent.platform;

import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.Proc;
import java.util.Locale;

/**
 * What the agent needs to know about the kernel it runs on: OS, release, and the ephemeral port
 * range of the JVM's own network namespace ({@code /proc/sys/net} answers for the reader's
 * namespace). Read at start, off every hook.
 */
public final class KernelInfo {
  private final String osName;
  private final String release;
  private final int major;
  private final int minor;
  private final PortRange range;

  private KernelInfo(String osName, String release, PortRange range) {
    this.osName = osName;
    this.release = release;
    // "6.18.44-fc": digits, a dot, digits; by hand, as regex classes cost milliseconds at start.
    int dot = release.indexOf('.');
    int end = dot + 1;
    while (end < release.length() && Character.isDigit(release.charAt(end))) {
      end++;
    }
    int parsedMajor = -1;
    int parsedMinor = -1;
    if (dot > 0 && end > dot + 1) {
      try {
        parsedMajor = Integer.parseInt(release.substring(0, dot));
        parsedMinor = Integer.parseInt(release.substring(dot + 1, end));
      } catch (NumberFormatException notAVersion) {
        parsedMajor = -1;
        parsedMinor = -1;
      }
    }
    this.major = parsedMajor;
    this.minor = parsedMinor;
    this.range = range;
  }

  /** Reads the running system. Never throws: unknown values are reported as unknown. */
  public static KernelInfo current() {
    String os = System.getProperty("os.name", "unknown");
    String release = System.getProperty("os.version", "unknown");
    if (!os.toLowerCase(Locale.ROOT).contains("linux")) {
      return new KernelInfo(os, release, null);
    }
    String osrelease = Proc.firstLine("/proc/sys/kernel/osrelease");
    return new KernelInfo(os, osrelease == null ? release : osrelease, PortRange.current());
  }

  /** For tests and for describing another host; a negative {@code portRangeLow} is unknown. */
  public static KernelInfo of(String osName, String release, int portRangeLow, int portRangeHigh) {
    return new KernelInfo(
        osName,
        release,
        portRangeLow < 0 ? null : PortRange.parse(portRangeLow + " " + portRangeHigh, ""));
  }

  public String osName() {
    return osName;
  }

  public String release() {
    return release;
  }

  public boolean isLinux() {
    return osName.toLowerCase(Locale.ROOT).contains("linux");
  }

  public boolean isAtLeast(int wantMajor, int wantMinor) {
    return major > wantMajor || (major == wantMajor && minor >= wantMinor);
  }

  /** Number of ports in {@code ip_local_port_range}, or -1 if unknown. */
  public int ephemeralPortCount() {
    return range == null ? -1 : range.size();
  }

  /** {@code 32768-60999 (28232 ports)}, or {@code unknown}. */
  public String describePortRange() {
    return range == null ? "unknown" : range.toString();
  }
}
