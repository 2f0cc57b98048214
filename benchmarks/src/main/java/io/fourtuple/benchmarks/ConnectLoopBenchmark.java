package io.fourtuple.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark B: connects per second of a bind(127.0.0.1, 0) + connect + close loop, in four configurations
 * run round-robin in one invocation:
 *
 * <ul>
 *   <li>{@code none}: no agent; every bind picks its port (plain bind-before-connect);
 *   <li>{@code audit}: the agent in audit mode; hooks run and count, nothing is changed;
 *   <li>{@code enforce}: the agent in enforce mode; it sets IP_BIND_ADDRESS_NO_PORT before every bind;
 *   <li>{@code app-set}: no agent; the application sets IP_BIND_ADDRESS_NO_PORT itself through the same JDK
 *       native call the agent uses (see {@code AppSetNoPort}).
 * </ul>
 *
 * <p>The fair comparisons are audit against none (same kernel work, the agent's observation on top) and
 * enforce against app-set (same kernel work — the deferred port choice changes what bind and connect do in
 * the kernel — the agent's hook path against hand-written code). enforce against none mixes the agent's
 * cost with the kernel's and is printed for context only.
 *
 * <p>All four run with the same JVM flags (the {@code --add-opens} app-set needs are passed to every one)
 * and the same socket API. Each run's count of ports that were 0 right after bind must be all of them
 * (enforce, app-set) or none (none, audit), else the benchmark fails.
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
    final Samples rate = new Samples();
    final List<Double> perRound = new ArrayList<Double>();
    long errors;

    Config(String name, String agentArgs, boolean appSetsNoPort) {
      this.name = name;
      this.agentArgs = agentArgs;
      this.appSetsNoPort = appSetsNoPort;
    }

    boolean expectsNoPort() {
      return appSetsNoPort || (agentArgs != null && agentArgs.contains("enforce"));
    }
  }

  private final File benchmarksJar;
  private final File agentJar;
  private final ChildJvm child;
  private final int rounds;
  private final long warmupMillis;
  private final long measureMillis;
  private final String api;

  ConnectLoopBenchmark(
      File benchmarksJar,
      File agentJar,
      ChildJvm child,
      int rounds,
      long warmupMillis,
      long measureMillis,
      String api) {
    this.benchmarksJar = benchmarksJar;
    this.agentJar = agentJar;
    this.child = child;
    this.rounds = rounds;
    this.warmupMillis = warmupMillis;
    this.measureMillis = measureMillis;
    this.api = api;
  }

  Result run(Jdk jdk) {
    List<Config> configs =
        Arrays.asList(
            new Config("none", null, false),
            new Config("audit", "mode=audit", false),
            new Config("enforce", "mode=enforce", false),
            new Config("app-set", null, true));
    System.out.printf(
        Locale.ROOT,
        "%nConnect loop, %s, api=%s: %d rounds x %d configs, each run %.1f s warm-up + %.1f s measured,"
            + " round-robin%n",
        jdk,
        api,
        rounds,
        configs.size(),
        warmupMillis / 1000.0,
        measureMillis / 1000.0);
    List<String> warnings = new ArrayList<String>();
    for (int round = 0; round < rounds; round++) {
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
      for (int i = 0; i < configs.size(); i++) {
        Config config = configs.get((i + round) % configs.size());
        ChildJvm.Run run = child.run(command(jdk, config));
        long connects = run.resultLong("connects");
        long zero = run.resultLong("zeroAfterBind");
        long errors = run.resultLong("errors");
        long rate = run.resultLong("rate");
        if (connects == 0) {
          throw new BenchmarkFailure("no connect succeeded\n" + run.describe());
        }
        if (config.agentArgs != null && !run.stderr.contains("fourtuple")) {
          throw new BenchmarkFailure("the agent printed no startup line; did it load?\n" + run.describe());
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
                  + " sockets had port 0 right after bind, expected "
                  + expectedZero
                  + (config.expectsNoPort()
                      ? " (IP_BIND_ADDRESS_NO_PORT must be applied to every socket)"
                      : " (nothing may set IP_BIND_ADDRESS_NO_PORT in this config)")
                  + "\n"
                  + run.describe());
        }
        if (errors * 1000 > connects) {
          throw new BenchmarkFailure(
              "config " + config.name + ": " + errors + " failed iterations\n" + run.describe());
        }
        config.errors += errors;
        config.rate.add(rate);
        config.perRound.add((double) rate);
        for (String w : run.agentWarnings()) {
          if (!warnings.contains(w)) {
            warnings.add(w);
          }
        }
        line.append(String.format(Locale.ROOT, " %s=%,d", config.name, rate));
      }
      System.out.println(line);
    }

    System.out.printf(
        Locale.ROOT,
        "%-8s %6s %12s %12s %12s %7s%n",
        "config",
        "runs",
        "median /s",
        "min /s",
        "max /s",
        "errors");
    for (Config c : configs) {
      System.out.printf(
          Locale.ROOT,
          "%-8s %6d %,12.0f %,12.0f %,12.0f %7d%n",
          c.name,
          c.rate.size(),
          c.rate.median(),
          c.rate.min(),
          c.rate.max(),
          c.errors);
    }
    Result result = new Result();
    result.auditOverNone = ratio(configs.get(1), configs.get(0), "audit / none", 0.98);
    result.enforceOverAppSet = ratio(configs.get(2), configs.get(3), "enforce / app-set", 0.97);
    ratio(configs.get(2), configs.get(0), "enforce / none", Double.NaN);
    ratio(configs.get(3), configs.get(0), "app-set / none", Double.NaN);
    for (String w : warnings) {
      System.out.println("  agent warning seen: " + w);
    }
    return result;
  }

  /** Prints the ratio of medians and the spread of the same ratio taken within each round. */
  private static double ratio(Config top, Config bottom, String label, double goal) {
    double r = top.rate.median() / bottom.rate.median();
    Samples perRound = new Samples();
    for (int i = 0; i < top.perRound.size(); i++) {
      perRound.add(top.perRound.get(i) / bottom.perRound.get(i));
    }
    String verdict =
        Double.isNaN(goal)
            ? "(context, no goal)"
            : String.format(Locale.ROOT, "goal >= %.2f: %s", goal, r >= goal ? "MET" : "MISSED");
    System.out.printf(
        Locale.ROOT,
        "  %-18s %.3f   per-round ratios %.3f .. %.3f   %s%n",
        label,
        r,
        perRound.min(),
        perRound.max(),
        verdict);
    return r;
  }

  private List<String> command(Jdk jdk, Config config) {
    List<String> cmd = new ArrayList<String>();
    cmd.add(jdk.java());
    if (jdk.feature >= 9) {
      cmd.add("--add-opens");
      cmd.add("java.base/java.net=ALL-UNNAMED");
      cmd.add("--add-opens");
      cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
    }
    if (config.agentArgs != null) {
      cmd.add("-javaagent:" + agentJar.getPath() + "=" + config.agentArgs);
    }
    cmd.add("-cp");
    cmd.add(benchmarksJar.getPath());
    cmd.add(WORKLOAD);
    cmd.add("--api");
    cmd.add(api);
    cmd.add("--noport");
    cmd.add(config.appSetsNoPort ? "app" : "none");
    cmd.add("--warmup-ms");
    cmd.add(String.valueOf(warmupMillis));
    cmd.add("--measure-ms");
    cmd.add(String.valueOf(measureMillis));
    return cmd;
  }
}
