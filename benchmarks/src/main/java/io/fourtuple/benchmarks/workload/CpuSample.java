package io.fourtuple.benchmarks.workload;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;

/**
 * CPU time from {@code /proc}, sampled at both ends of a measured window, to tell how much of the
 * machine other processes took meanwhile. On a small shared machine that is the main source of
 * noise in a connect-rate run, and the report shows it per run rather than leaving it to guesswork.
 *
 * <p>User and system time only, on both sides: softirq time (where loopback TCP is processed, much
 * of it on behalf of this process) is not charged to any process, so counting it would show this
 * process's own network work as "other load". Ticks are assumed to be 1/100 s (USER_HZ on Linux x86
 * and arm64).
 */
final class CpuSample {
  private static final double TICKS_PER_SECOND = 100.0;

  final long machineTicks;
  final long stealTicks;
  final long selfTicks;
  final long nanos;

  private CpuSample(long machineTicks, long stealTicks, long selfTicks, long nanos) {
    this.machineTicks = machineTicks;
    this.stealTicks = stealTicks;
    this.selfTicks = selfTicks;
    this.nanos = nanos;
  }

  /** A sample, or null where {@code /proc} is not readable (the report then says "n/a"). */
  static CpuSample now() {
    try {
      List<String> stat =
          Files.readAllLines(new File("/proc/stat").toPath(), StandardCharsets.UTF_8);
      String[] cpu =
          stat.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal
      long machine = Long.parseLong(cpu[1]) + Long.parseLong(cpu[2]) + Long.parseLong(cpu[3]);
      long steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
      String self =
          new String(
              Files.readAllBytes(new File("/proc/self/stat").toPath()), StandardCharsets.UTF_8);
      // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
      String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
      long selfTicks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return new CpuSample(machine, steal, selfTicks, System.nanoTime());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * CPUs' worth of user+system time used by other processes between {@code start} and {@code end}.
   */
  static String otherCores(CpuSample start, CpuSample end) {
    if (start == null || end == null) {
      return "n/a";
    }
    double seconds = (end.nanos - start.nanos) / 1e9;
    long other = (end.machineTicks - start.machineTicks) - (end.selfTicks - start.selfTicks);
    return String.format(Locale.ROOT, "%.2f", Math.max(0, other) / TICKS_PER_SECOND / seconds);
  }

  static String stealCores(CpuSample start, CpuSample end) {
    if (start == null || end == null) {
      return "n/a";
    }
    double seconds = (end.nanos - start.nanos) / 1e9;
    return String.format(
        Locale.ROOT, "%.2f", (end.stealTicks - start.stealTicks) / TICKS_PER_SECOND / seconds);
  }

  /** CPUs' worth of this process's own user+system time. */
  static String selfCores(CpuSample start, CpuSample end) {
    if (start == null || end == null) {
      return "n/a";
    }
    double seconds = (end.nanos - start.nanos) / 1e9;
    return String.format(
        Locale.ROOT, "%.2f", (end.selfTicks - start.selfTicks) / TICKS_PER_SECOND / seconds);
  }
}
