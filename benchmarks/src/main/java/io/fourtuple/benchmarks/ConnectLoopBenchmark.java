package io.fourtuple.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark B: connects per second of a bind(127.0.0.1, 0) + connect + close loop, in four
 * configurations run in one invocation:
 *
 * <ul>
 *   <li>{@code none}: no agent; every bind picks its port (plain bind-before-connect);
 *   <li>{@code audit}: the agent in audit mode; hooks run and count, nothing is changed;
 *   <li>{@code enforce}: the agent in enforce mode; it sets IP_BIND_ADDRESS_NO_PORT before every
 *       bind;
 *   <li>{@code app-set}: no agent; the application sets IP_BIND_ADDRESS_NO_PORT itself through the
 *       same JDK native call the agent uses (see {@code AppSetNoPort}).
 * </ul>
 *
 * <p>The fair comparisons are audit against none (same kernel work, the agent's observation on top)
 * and enforce against app-set (same kernel work, since the deferred port choice changes what bind
 * and connect do in the kernel; the agent's hook path against hand-written code). enforce against
 * none mixes the agent's cost with the kernel's and is printed for context only.
 *
 * <p>Interleaving happens at two levels. Each round starts one child JVM per configuration (fresh
 * JIT and heap each round) and warms them all up; then the children take turns running short
 * measured slices, round-robin with the order rotated every cycle, while the others wait blocked on
 * standard input. A machine whose speed drifts over seconds (a shared VM) then slows all four
 * alike, and every cycle gives a time-adjacent ratio between configurations.
 *
 * <p>All four run with the same JVM flags (the {@code --add-opens} that the kernel read below and
 * app-set need are passed to every one) and the same socket API. In every slice, the count of
 * sockets whose local port the kernel reported as 0 right after bind ({@code getsockname} through
 * {@code KernelView}; an application-level read would make the agent give the socket its port) must
 * be all of them (enforce, app-set) or none (none, audit), else the benchmark fails.
 */
final class ConnectLoopBenchmark {
  static final String WORKLOAD = "io.fourtuple.benchmarks.workload.ConnectLoop";

  /** The ratios the report states, for the goals check. */
  static final class Result {
    double auditOverNone;
    double enforceOverAppSet;
  }

  private static final class Config {
    final String name;
    final String agentArgs; // null: no agent
    final boolean appSetsNoPort;
    final Samples rate = new Samples(); // one per round
    final List<Double> perRound = new ArrayList<Double>();
    final Samples otherCpu = new Samples(); // one per slice
    long errors;
    // this round
    long connects;
    long nanos;
    double lastSliceRate;

    Config(String name, String agentArgs, boolean appSetsNoPort) {
      this.name = name;
      this.agentArgs = agentArgs;
      this.appSetsNoPort = appSetsNoPort;
    }

    boolean expectsNoPort() {
      return appSetsNoPort || (agentArgs != null && agentArgs.contains("enforce"));
    }
  }

  /** Ratio of two configurations, per round and per cycle. */
  private static final class Pair {
    final Config top;
    final Config bottom;
    final String label;
    final double goal; // NaN: context only
    final Samples perCycle = new Samples();

    Pair(Config top, Config bottom, double goal) {
      this.top = top;
      this.bottom = bottom;
      this.label = top.name + " / " + bottom.name;
      this.goal = goal;
    }
  }

  private final File benchmarksJar;
  private final File agentJar;
  private final File scratch;
  private final int rounds;
  private final long warmupMillis;
  private final long measureMillis;
  private final long sliceMillis;
  private final String api;
  private final String acceptor;

  ConnectLoopBenchmark(
      File benchmarksJar,
      File agentJar,
      File scratch,
      int rounds,
      long warmupMillis,
      long measureMillis,
      long sliceMillis,
      String api,
      String acceptor) {
    this.benchmarksJar = benchmarksJar;
    this.agentJar = agentJar;
    this.scratch = scratch;
    this.rounds = rounds;
    this.warmupMillis = warmupMillis;
    this.measureMillis = measureMillis;
    this.sliceMillis = sliceMillis;
    this.api = api;
    this.acceptor = acceptor;
  }

  Result run(Jdk jdk) {
    Config none = new Config("none", null, false);
    Config audit = new Config("audit", "mode=audit", false);
    Config enforce = new Config("enforce", "mode=enforce", false);
    Config appSet = new Config("app-set", null, true);
    List<Config> configs = Arrays.asList(none, audit, enforce, appSet);
    List<Pair> pairs =
        Arrays.asList(
            new Pair(audit, none, BenchmarkMain.AUDIT_GOAL),
            new Pair(enforce, appSet, BenchmarkMain.ENFORCE_GOAL),
            new Pair(enforce, none, Double.NaN),
            new Pair(appSet, none, Double.NaN));
    long warmupSlices = Math.max(1, warmupMillis / sliceMillis);
    long cycles = Math.max(1, measureMillis / sliceMillis);
    System.out.printf(
        Locale.ROOT,
        "%nConnect loop, %s, api=%s, acceptor=%s: %d rounds; in each, one JVM per config, %.1f s"
            + " warm-up and %.1f s measured per config, taken in %d ms slices round-robin%n",
        jdk,
        api,
        acceptor,
        rounds,
        warmupSlices * sliceMillis / 1000.0,
        cycles * sliceMillis / 1000.0,
        sliceMillis);
    List<String> warnings = new ArrayList<String>();
    for (int round = 0; round < rounds; round++) {
      List<ServedJvm> jvms = new ArrayList<ServedJvm>();
      try {
        for (Config c : configs) {
          jvms.add(new ServedJvm(c.name, command(jdk, c), scratch));
          c.connects = 0;
          c.nanos = 0;
        }
        for (ServedJvm jvm : jvms) {
          jvm.awaitReady();
        }
        for (long w = 0; w < warmupSlices; w++) {
          for (int i = 0; i < jvms.size(); i++) {
            jvms.get((int) ((i + w) % jvms.size())).request("WARMUP " + sliceMillis);
          }
        }
        for (long cycle = 0; cycle < cycles; cycle++) {
          for (int i = 0; i < configs.size(); i++) {
            int k = (int) ((i + cycle + round) % configs.size());
            slice(configs.get(k), jvms.get(k));
          }
          for (Pair p : pairs) {
            p.perCycle.add(p.top.lastSliceRate / p.bottom.lastSliceRate);
          }
        }
        for (int k = 0; k < jvms.size(); k++) {
          String stderr = jvms.get(k).exit();
          if (configs.get(k).agentArgs != null && !stderr.contains("fourtuple")) {
            throw new BenchmarkFailure(
                "config " + configs.get(k).name + ": the agent printed nothing; did it load?");
          }
          for (String line : stderr.split("\n")) {
            if ((line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("Exception"))
                && !warnings.contains(line)) {
              warnings.add(line);
            }
          }
        }
      } finally {
        for (ServedJvm jvm : jvms) {
          jvm.destroy();
        }
      }
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
      for (Config c : configs) {
        double rate = c.connects * 1e9 / c.nanos;
        c.rate.add(rate);
        c.perRound.add(rate);
        line.append(String.format(Locale.ROOT, " %s=%,.0f", c.name, rate));
      }
      System.out.println(line);
    }

    System.out.printf(
        Locale.ROOT,
        "%-8s %6s %12s %12s %12s %7s %13s%n",
        "config",
        "rounds",
        "median /s",
        "min /s",
        "max /s",
        "errors",
        "other CPU");
    for (Config c : configs) {
      System.out.printf(
          Locale.ROOT,
          "%-8s %6d %,12.0f %,12.0f %,12.0f %7d %13s%n",
          c.name,
          c.rate.size(),
          c.rate.median(),
          c.rate.min(),
          c.rate.max(),
          c.errors,
          c.otherCpu.size() == 0
              ? "n/a"
              : String.format(
                  Locale.ROOT, "%.2f (max %.2f)", c.otherCpu.median(), c.otherCpu.max()));
    }
    System.out.println(
        "  (per round: connects / measured time of that config; other CPU: CPUs' worth of"
            + " user+system time used by other processes during a slice, median and max over"
            + " slices)");
    Result result = new Result();
    for (Pair p : pairs) {
      double r = ratio(p);
      if (p.top == audit && p.bottom == none) {
        result.auditOverNone = r;
      } else if (p.top == enforce && p.bottom == appSet) {
        result.enforceOverAppSet = r;
      }
    }
    for (String w : warnings) {
      System.out.println("  agent warning seen: " + w);
    }
    return result;
  }

  /** Runs one measured slice and checks it. */
  private void slice(Config config, ServedJvm jvm) {
    String answer = jvm.request("RUN " + sliceMillis);
    long connects = field(answer, "connects", config);
    long nanos = field(answer, "nanos", config);
    long zero = field(answer, "kernelZeroAfterBind", config);
    long errors = field(answer, "errors", config);
    if (connects == 0) {
      throw new BenchmarkFailure("config " + config.name + ": no connect succeeded: " + answer);
    }
    long expectedZero = config.expectsNoPort() ? connects : 0;
    if (zero != expectedZero) {
      throw new BenchmarkFailure(
          "config "
              + config.name
              + ": "
              + zero
              + " of "
              + connects
              + " sockets had port 0 in the kernel right after bind, expected "
              + expectedZero
              + (config.expectsNoPort()
                  ? " (IP_BIND_ADDRESS_NO_PORT must be applied to every socket)"
                  : " (nothing may set IP_BIND_ADDRESS_NO_PORT in this config)")
              + ": "
              + answer);
    }
    if (errors * 1000 > connects) {
      throw new BenchmarkFailure(
          "config " + config.name + ": " + errors + " failed iterations: " + answer);
    }
    config.errors += errors;
    config.connects += connects;
    config.nanos += nanos;
    config.lastSliceRate = connects * 1e9 / nanos;
    String other = text(answer, "otherCpu", config);
    if (!other.equals("n/a")) {
      config.otherCpu.add(Double.parseDouble(other));
    }
  }

  /**
   * Prints the ratio of medians (the figure the goals are judged on), the same ratio within each
   * round, and within each cycle (time-adjacent slices), whose spread shows how much is noise.
   */
  private static double ratio(Pair p) {
    double r = p.top.rate.median() / p.bottom.rate.median();
    Samples perRound = new Samples();
    for (int i = 0; i < p.top.perRound.size(); i++) {
      perRound.add(p.top.perRound.get(i) / p.bottom.perRound.get(i));
    }
    String verdict =
        Double.isNaN(p.goal)
            ? "(context, no goal)"
            : String.format(
                Locale.ROOT, "goal >= %.2f: %s", p.goal, r >= p.goal ? "MET" : "MISSED");
    System.out.printf(
        Locale.ROOT,
        "  %-17s %.3f  rounds %.3f..%.3f  cycles: median %.3f, p25..p75 %.3f..%.3f  %s%n",
        p.label,
        r,
        perRound.min(),
        perRound.max(),
        p.perCycle.median(),
        p.perCycle.percentile(25),
        p.perCycle.percentile(75),
        verdict);
    return r;
  }

  private static long field(String answer, String key, Config config) {
    try {
      return Long.parseLong(text(answer, key, config));
    } catch (NumberFormatException e) {
      throw new BenchmarkFailure("config " + config.name + ": bad " + key + " in: " + answer);
    }
  }

  private static String text(String answer, String key, Config config) {
    if (answer.startsWith("SLICE ")) {
      for (String pair : answer.substring(6).split(" ")) {
        if (pair.startsWith(key + "=")) {
          return pair.substring(key.length() + 1);
        }
      }
    }
    throw new BenchmarkFailure("config " + config.name + ": no " + key + "= in: " + answer);
  }

  private List<String> command(Jdk jdk, Config config) {
    List<String> cmd = new ArrayList<String>();
    cmd.add(jdk.java());
    cmd.addAll(jdk.openInternals());
    if (config.agentArgs != null) {
      cmd.add("-javaagent:" + agentJar.getPath() + "=" + config.agentArgs);
    }
    cmd.add("-cp");
    cmd.add(benchmarksJar.getPath());
    cmd.add(WORKLOAD);
    cmd.add("--api");
    cmd.add(api);
    cmd.add("--acceptor");
    cmd.add(acceptor);
    cmd.add("--noport");
    cmd.add(config.appSetsNoPort ? "app" : "none");
    cmd.add("--serve");
    return cmd;
  }
}
