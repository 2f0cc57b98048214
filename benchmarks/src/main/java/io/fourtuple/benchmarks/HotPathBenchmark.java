package io.fourtuple.benchmarks;

import io.fourtuple.benchmarks.workload.HookCost;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Benchmark C: JMH's time per operation of {@link HookCost} in four kinds of fork, started by this
 * harness in one run: {@code none}, {@code audit} and {@code enforce} (ledger on), {@code app-set}
 * (no agent; the application sets {@code IP_BIND_ADDRESS_NO_PORT} itself). The added cost per
 * operation is audit − none and enforce − app-set: each pair does the same kernel work, so what is
 * left is the agent's. All forks get the same flags ({@code Jdk.openInternals()}) and differ only
 * in {@code -javaagent} and the system properties {@code HookCost} reads.
 *
 * <p>JMH runs in this JVM and forks one JVM per benchmark and configuration (fresh JIT each time).
 * Rounds go over all configurations in an order rotated each round; a configuration's score is the
 * median over rounds. JMH's own output goes to a log in the scratch directory, printed when a fork
 * fails (a fork whose kernel check fails stops the benchmark: see {@code HookCost}).
 */
final class HotPathBenchmark {
  static final String[] BENCHMARKS = {"connectCycle", "setSoLinger"};

  /** ns added per operation, by "benchmark mode" (e.g. "connectCycle enforce"). */
  static final class Result {
    final Map<String, Double> addedNanos = new LinkedHashMap<String, Double>();
  }

  private static final class Config {
    final String name;
    final List<String> jvmArgs = new ArrayList<String>();
    final Map<String, Samples> scores = new LinkedHashMap<String, Samples>();
    final Map<String, List<Double>> perRound = new LinkedHashMap<String, List<Double>>();

    Config(String name, Jdk jdk, String agent, String noport, String expect) {
      this.name = name;
      jvmArgs.addAll(jdk.openInternals());
      if (agent != null) {
        jvmArgs.add(agent);
      }
      jvmArgs.add("-Dbench.noport=" + noport);
      jvmArgs.add("-Dbench.expect=" + expect);
      for (String b : BENCHMARKS) {
        scores.put(b, new Samples());
        perRound.put(b, new ArrayList<Double>());
      }
    }
  }

  private final File agentJar;
  private final File scratch;
  private final int rounds;
  private final int warmupIterations;
  private final int iterations;
  private final long iterationMillis;

  HotPathBenchmark(
      File agentJar,
      File scratch,
      int rounds,
      int warmupIterations,
      int iterations,
      long iterationMillis) {
    this.agentJar = agentJar;
    this.scratch = scratch;
    this.rounds = rounds;
    this.warmupIterations = warmupIterations;
    this.iterations = iterations;
    this.iterationMillis = iterationMillis;
  }

  Result run(Jdk jdk) {
    String agent = "-javaagent:" + agentJar.getPath();
    Config none = new Config("none", jdk, null, "none", "port");
    Config audit = new Config("audit", jdk, agent + "=mode=audit", "none", "port");
    Config enforce = new Config("enforce", jdk, agent + "=mode=enforce", "none", "noport");
    Config appSet = new Config("app-set", jdk, null, "app", "noport");
    List<Config> configs = Arrays.asList(none, audit, enforce, appSet);
    System.out.printf(
        Locale.ROOT,
        "%nHot path (JMH), %s: %d rounds over %d configs, one fork per benchmark each; %d warm-up"
            + " and %d measured iterations of %d ms%n",
        jdk,
        rounds,
        configs.size(),
        warmupIterations,
        iterations,
        iterationMillis);
    File log = new File(scratch, "jmh.log");
    for (int round = 0; round < rounds; round++) {
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
      for (int i = 0; i < configs.size(); i++) {
        Config c = configs.get((i + round) % configs.size());
        for (RunResult r : jmh(jdk, c, log)) {
          String method = r.getParams().getBenchmark();
          String name = method.substring(method.lastIndexOf('.') + 1);
          double score = r.getPrimaryResult().getScore();
          c.scores.get(name).add(score);
          c.perRound.get(name).add(score);
          line.append(String.format(Locale.ROOT, " %s/%s=%.0f", c.name, name, score));
        }
      }
      System.out.println(line);
    }
    System.out.printf(
        Locale.ROOT,
        "%-13s %-8s %12s %10s %10s%n",
        "benchmark",
        "config",
        "median ns/op",
        "min",
        "max");
    for (String b : BENCHMARKS) {
      for (Config c : configs) {
        Samples s = c.scores.get(b);
        System.out.printf(
            Locale.ROOT,
            "%-13s %-8s %12.0f %10.0f %10.0f%n",
            b,
            c.name,
            s.median(),
            s.min(),
            s.max());
      }
    }
    Result result = new Result();
    for (String b : BENCHMARKS) {
      result.addedNanos.put(b + " audit", added(b, audit, none));
      result.addedNanos.put(b + " enforce", added(b, enforce, appSet));
      double context = enforce.scores.get(b).median() - none.scores.get(b).median();
      System.out.printf(
          Locale.ROOT,
          "  %-13s enforce - none  %+8.0f ns/op (context: kernel work differs)%n",
          b,
          context);
    }
    System.out.println(
        "  (added = difference of medians over rounds; every fork checked the kernel's port after"
            + " bind after every iteration)");
    return result;
  }

  private static double added(String benchmark, Config with, Config without) {
    double d = with.scores.get(benchmark).median() - without.scores.get(benchmark).median();
    Samples paired = new Samples();
    for (int r = 0; r < with.perRound.get(benchmark).size(); r++) {
      paired.add(with.perRound.get(benchmark).get(r) - without.perRound.get(benchmark).get(r));
    }
    System.out.printf(
        Locale.ROOT,
        "  %-13s %-7s - %-7s %+8.0f ns/op; paired within each round: median %+.0f, min %+.0f, max"
            + " %+.0f%n",
        benchmark,
        with.name,
        without.name,
        d,
        paired.median(),
        paired.min(),
        paired.max());
    return d;
  }

  private List<RunResult> jmh(Jdk jdk, Config config, File log) {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .include(HookCost.class.getName() + "\\.")
            .forks(1)
            .threads(1)
            .warmupIterations(warmupIterations)
            .warmupTime(TimeValue.milliseconds(iterationMillis))
            .measurementIterations(iterations)
            .measurementTime(TimeValue.milliseconds(iterationMillis))
            .jvm(jdk.java())
            .jvmArgs(config.jvmArgs.toArray(new String[0]))
            .shouldFailOnError(true)
            .verbosity(VerboseMode.NORMAL)
            .output(log.getPath());
    try {
      return new ArrayList<RunResult>(new Runner(options.build()).run());
    } catch (RunnerException | RuntimeException e) {
      String output;
      try {
        output = new String(Files.readAllBytes(log.toPath()), StandardCharsets.UTF_8);
      } catch (IOException notRead) {
        output = "(no JMH log: " + notRead + ")";
      }
      throw new BenchmarkFailure("JMH failed for config " + config.name + ": " + e + "\n" + output);
    }
  }
}
