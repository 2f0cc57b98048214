package io.fourtuple.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark D: the throughput workloads of issue 11 ({@code workload.ThreadsLoop}): 2000 virtual
 * threads each doing 50 connect cycles, then one thread doing the same 100,000 cycles, in a child
 * JVM without the agent, without it but with the workload setting IP_BIND_ADDRESS_NO_PORT itself
 * (app-set: the kernel work enforce leads to), with it in audit mode and in enforce mode (ledger
 * on). Each round starts one JVM per configuration, the order rotated each round; a configuration's
 * time is the median over rounds, and throughput agent / none is none's time over the agent's.
 *
 * <p>Every run must have had {@code IP_BIND_ADDRESS_NO_PORT} on each socket it checked (enforce) or
 * on none (none, audit), by the kernel's own view right after bind; anything else, or a failed
 * cycle, fails the benchmark.
 */
final class ThroughputBenchmark {
  static final String WORKLOAD = "io.fourtuple.benchmarks.workload.ThreadsLoop";

  /** Throughput ratios for one JDK. */
  static final class Result {
    double virtualEnforce;
    double virtualAudit;
    double singleEnforce;
    double singleAudit;
    double virtualEnforceOverAppSet;
    double singleEnforceOverAppSet;
    double virtualLastEnforce;
    double virtualLastAudit;
  }

  private static final class Config {
    final String name;
    final String agentArgs; // null: no agent
    final boolean appSetsNoPort;
    final Samples virtualMillis = new Samples();
    final Samples virtualLastMillis = new Samples();
    final Samples singleMillis = new Samples();

    Config(String name, String agentArgs, boolean appSetsNoPort) {
      this.name = name;
      this.agentArgs = agentArgs;
      this.appSetsNoPort = appSetsNoPort;
    }

    boolean deferred() {
      return appSetsNoPort || (agentArgs != null && agentArgs.contains("enforce"));
    }
  }

  private final File benchmarksJar;
  private final File agentJar;
  private final ChildJvm child;
  private final int rounds;
  private final int tasks;
  private final int cycles;

  ThroughputBenchmark(
      File benchmarksJar, File agentJar, ChildJvm child, int rounds, int tasks, int cycles) {
    this.benchmarksJar = benchmarksJar;
    this.agentJar = agentJar;
    this.child = child;
    this.rounds = rounds;
    this.tasks = tasks;
    this.cycles = cycles;
  }

  Result run(Jdk jdk) {
    Config none = new Config("none", null, false);
    Config appSet = new Config("app-set", null, true);
    Config audit = new Config("audit", "mode=audit", false);
    Config enforce = new Config("enforce", "mode=enforce", false);
    List<Config> configs = Arrays.asList(none, appSet, audit, enforce);
    System.out.printf(
        Locale.ROOT,
        "%nThroughput, %s: %d virtual threads x %d cycles, then 1 thread x %d cycles; %d rounds,"
            + " one JVM per config each%n",
        jdk,
        tasks,
        cycles,
        tasks * cycles,
        rounds);
    for (int round = 0; round < rounds; round++) {
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
      for (int i = 0; i < configs.size(); i++) {
        Config c = configs.get((i + round) % configs.size());
        ChildJvm.Run run = child.run(command(jdk, c));
        check(c, run);
        double virtual = run.resultLong("virtualNanos") / 1e6;
        double virtualLast = run.resultLong("virtualLastNanos") / 1e6;
        double single = run.resultLong("singleNanos") / 1e6;
        c.virtualMillis.add(virtual);
        c.virtualLastMillis.add(virtualLast);
        c.singleMillis.add(single);
        line.append(
            String.format(
                Locale.ROOT, " %s=%.0f/%.0f/%.0f ms", c.name, virtual, virtualLast, single));
      }
      System.out.println(line + "   (virtual, its 2nd pass, single)");
    }
    System.out.printf(
        Locale.ROOT,
        "%-8s %14s %14s %14s %14s %14s %14s%n",
        "config",
        "virtual ms",
        "vs none",
        "2nd pass ms",
        "vs none",
        "1 thread ms",
        "vs none");
    Result r = new Result();
    for (Config c : configs) {
      double v = none.virtualMillis.median() / c.virtualMillis.median();
      double last = none.virtualLastMillis.median() / c.virtualLastMillis.median();
      double s = none.singleMillis.median() / c.singleMillis.median();
      System.out.printf(
          Locale.ROOT,
          "%-8s %14.0f %14.3f %14.0f %14.3f %14.0f %14.3f%n",
          c.name,
          c.virtualMillis.median(),
          v,
          c.virtualLastMillis.median(),
          last,
          c.singleMillis.median(),
          s);
      if (c == enforce) {
        r.virtualEnforce = v;
        r.virtualLastEnforce = last;
        r.singleEnforce = s;
      } else if (c == audit) {
        r.virtualAudit = v;
        r.virtualLastAudit = last;
        r.singleAudit = s;
      }
    }
    r.virtualEnforceOverAppSet = appSet.virtualMillis.median() / enforce.virtualMillis.median();
    r.singleEnforceOverAppSet = appSet.singleMillis.median() / enforce.singleMillis.median();
    System.out.printf(
        Locale.ROOT,
        "%-8s %14s %14.3f %14s %14.3f %14s %14.3f%n",
        "enforce",
        "vs app-set",
        r.virtualEnforceOverAppSet,
        "vs app-set",
        appSet.virtualLastMillis.median() / enforce.virtualLastMillis.median(),
        "vs app-set",
        r.singleEnforceOverAppSet);
    System.out.println(
        "  (median over rounds; vs none = throughput ratio, none's time / this config's time;"
            + " app-set: no agent, the workload sets IP_BIND_ADDRESS_NO_PORT itself, the kernel"
            + " work enforce leads to)");
    return r;
  }

  private List<String> command(Jdk jdk, Config c) {
    List<String> cmd = new ArrayList<String>();
    cmd.add(jdk.java());
    cmd.addAll(jdk.openInternals());
    if (c.agentArgs != null) {
      cmd.add("-javaagent:" + agentJar.getPath() + "=" + c.agentArgs);
    }
    cmd.addAll(
        Arrays.asList(
            "-cp",
            benchmarksJar.getPath(),
            WORKLOAD,
            "--tasks",
            String.valueOf(tasks),
            "--cycles",
            String.valueOf(cycles),
            "--passes",
            "2"));
    if (c.appSetsNoPort) {
      cmd.add("--app-set");
    }
    return cmd;
  }

  private static void check(Config c, ChildJvm.Run run) {
    if (c.agentArgs != null && !run.stderr.contains("fourtuple")) {
      throw new BenchmarkFailure("the agent printed nothing; did it load?\n" + run.describe());
    }
    if (run.resultLong("errors") != 0) {
      throw new BenchmarkFailure("connect cycles failed\n" + run.describe());
    }
    boolean deferred = c.deferred();
    for (String part : new String[] {"virtual", "single"}) {
      long checks = run.resultLong(part + "Checks");
      long zero = run.resultLong(part + "Zero");
      if (checks == 0 || zero != (deferred ? checks : 0)) {
        throw new BenchmarkFailure(
            String.format(
                Locale.ROOT,
                "config %s, %s: kernel port 0 right after bind on %d of %d checked sockets,"
                    + " expected %s\n%s",
                c.name,
                part,
                zero,
                checks,
                deferred ? "all (IP_BIND_ADDRESS_NO_PORT applied)" : "none",
                run.describe()));
      }
    }
  }
}
