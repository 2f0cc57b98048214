package io.fourtuple.agent.platform;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
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
  private final int portRangeLow;
  private final int portRangeHigh;

  KernelInfo(String osName, String release, int portRangeLow, int portRangeHigh) {
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
    this.portRangeLow = portRangeLow;
    this.portRangeHigh = portRangeHigh;
  }

  /** Reads the running system. Never throws: unknown values are reported as unknown. */
  public static KernelInfo current() {
    String os = System.getProperty("os.name", "unknown");
    String release = System.getProperty("os.version", "unknown");
    int low = -1;
    int high = -1;
    if (os.toLowerCase(Locale.ROOT).contains("linux")) {
      String osrelease = readFirstLine(Paths.get("/proc/sys/kernel/osrelease"));
      if (osrelease != null) {
        release = osrelease;
      }
      String range = readFirstLine(Paths.get("/proc/sys/net/ipv4/ip_local_port_range"));
      if (range != null) {
        String trimmed = range.trim();
        int gap = trimmed.indexOf('\t') >= 0 ? trimmed.indexOf('\t') : trimmed.indexOf(' ');
        if (gap > 0) {
          try {
            low = Integer.parseInt(trimmed.substring(0, gap));
            high = Integer.parseInt(trimmed.substring(gap + 1).trim());
          } catch (NumberFormatException ignored) {
            low = -1;
            high = -1;
          }
        }
      }
    }
    return new KernelInfo(os, release, low, high);
  }

  /** For tests and for describing another host. */
  public static KernelInfo of(String osName, String release, int portRangeLow, int portRangeHigh) {
    return new KernelInfo(osName, release, portRangeLow, portRangeHigh);
  }

  /**
   * Reads a {@code /proc} file line-wise: those files report size 0, and size-trusting readers such
   * as {@code Files.readAllBytes} return a truncated value for them. A plain {@code
   * FileInputStream}, because {@code Files.newBufferedReader} loads {@code
   * sun.nio.ch.SocketChannelImpl} on JDK 25 (through {@code sun.nio.ch.Streams}) before the weaver
   * is installed, which then costs a retransformation at start.
   */
  static String readFirstLine(Path path) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(new FileInputStream(path.toFile()), StandardCharsets.US_ASCII))) {
      String line = in.readLine();
      return line == null ? null : line.trim();
    } catch (IOException | RuntimeException e) {
      return null;
    }
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
    return portRangeLow < 0 ? -1 : portRangeHigh - portRangeLow + 1;
  }

  /** {@code 32768-60999 (28232 ports)}, or {@code unknown}. */
  public String describePortRange() {
    return portRangeLow < 0
        ? "unknown"
        : portRangeLow + "-" + portRangeHigh + " (" + ephemeralPortCount() + " ports)";
  }
}
