package io.fourtuple.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark A: wall time of a child JVM from start to exit, with and without the agent, per JDK.
 *
 * <p>Two programs: {@code hello} touches no socket (the agent's fixed start cost), {@code socket} binds a
 * client socket to (loopback, 0) as its first action (the start cost plus the first hooked socket, which
 * loads and runs the hook path cold). The four (program, config) cells run round-robin, the order rotated
 * each round, so that drift in the machine (other load, CPU frequency, page cache) falls on all cells
 * alike instead of on whichever ran last.
 *
 * <p>Every agent run of {@code socket} must report port 0 right after bind: {@code
 * IP_BIND_ADDRESS_NO_PORT} was applied, so the hooks were in place before the application's first socket.
 * Every run without the agent must report a real port (the check itself works). Anything else fails the
 * benchmark.
 */
final class StartupBenchmark {
  static final String HELLO = "io.fourtuple.benchmarks.workload.StartupHello";
  static final String SOCKET = "io.fourtuple.benchmarks.workload.StartupSocket";
  static final String AGENT_ARGS = "mode=enforce";

  /** What the report says about one JDK. */
  static final class Result {
    final Jdk jdk;
    final Map<String, Double> medianDeltaMillis = new LinkedHashMap<String, Double>();

    Result(Jdk jdk) {
      this.jdk = jdk;
    }
  }

  private final File benchmarksJar;
  private final File agentJar;
  private final ChildJvm child;
  private final int runs;
  private final int warmupRounds;

  StartupBenchmark(File benchmarksJar, File agentJar, ChildJvm child, int runs, int warmupRounds) {
    this.benchmarksJar = benchmarksJar;
    this.agentJar = agentJar;
    this.child = child;
    this.runs = runs;
    this.warmupRounds = warmupRounds;
  }

  private static final class Cell {
    final String program;
    final boolean agent;
    final Samples wallMillis = new Samples();
    final Samples agentSaysMillis = new Samples();
    final List<Double> perRound = new ArrayList<Double>();
    int zeroAfterBind;

    Cell(String program, boolean agent) {
      this.program = program;
      this.agent = agent;
    }

    String programName() {
      return program.equals(HELLO) ? "hello" : "socket";
    }

    String configName() {
      return agent ? "agent" : "none";
    }
  }

  Result run(Jdk jdk) {
    List<Cell> cells =
        Arrays.asList(
            new Cell(HELLO, false),
            new Cell(HELLO, true),
            new Cell(SOCKET, false),
            new Cell(SOCKET, true));
    System.out.printf(
        Locale.ROOT,
        "%nStartup, %s: %d warm-up rounds, then %d runs per config, round-robin over %d cells%n",
        jdk,
        warmupRounds,
        runs,
        cells.size());
    List<String> warnings = new ArrayList<String>();
    int totalRounds = warmupRounds + runs;
    for (int round = 0; round < totalRounds; round++) {
      boolean measured = round >= warmupRounds;
      for (int i = 0; i < cells.size(); i++) {
        Cell cell = cells.get((i + round) % cells.size());
        ChildJvm.Run run = child.run(command(jdk, cell));
        check(cell, run);
        for (String w : run.agentWarnings()) {
          if (!warnings.contains(w)) {
            warnings.add(w);
          }
        }
        if (measured) {
          cell.wallMillis.add(run.wallMillis());
          cell.perRound.add(run.wallMillis());
          if (cell.agent) {
            long says = run.agentReportedMillis();
            if (says >= 0) {
              cell.agentSaysMillis.add(says);
            }
          }
          if (cell.program.equals(SOCKET) && run.resultLong("portAfterBind") == 0) {
            cell.zeroAfterBind++;
          }
        }
      }
      System.out.print(measured ? "." : "w");
      System.out.flush();
    }
    System.out.println();

    Result result = new Result(jdk);
    System.out.printf(
        Locale.ROOT,
        "%-8s %-6s %5s %10s %10s %10s %10s %16s%n",
        "program",
        "config",
        "runs",
        "median ms",
        "p90 ms",
        "min ms",
        "max ms",
        "agent says (med)");
    for (Cell cell : cells) {
      System.out.printf(
          Locale.ROOT,
          "%-8s %-6s %5d %10.1f %10.1f %10.1f %10.1f %16s%n",
          cell.programName(),
          cell.configName(),
          cell.wallMillis.size(),
          cell.wallMillis.median(),
          cell.wallMillis.percentile(90),
          cell.wallMillis.min(),
          cell.wallMillis.max(),
          cell.agent && cell.agentSaysMillis.size() > 0
              ? String.format(Locale.ROOT, "%.0f ms", cell.agentSaysMillis.median())
              : "-");
    }
    for (int p = 0; p < cells.size(); p += 2) {
      Cell none = cells.get(p);
      Cell agent = cells.get(p + 1);
      double delta = agent.wallMillis.median() - none.wallMillis.median();
      Samples paired = new Samples();
      for (int r = 0; r < none.perRound.size(); r++) {
        paired.add(agent.perRound.get(r) - none.perRound.get(r));
      }
      result.medianDeltaMillis.put(none.programName(), delta);
      System.out.printf(
          Locale.ROOT,
          "  %-6s agent - none: %+.1f ms (difference of medians); paired per round: median %+.1f ms,"
              + " p90 %+.1f ms%n",
          none.programName(),
          delta,
          paired.median(),
          paired.percentile(90));
      if (none.program.equals(SOCKET)) {
        System.out.printf(
            Locale.ROOT,
            "  socket port after bind: 0 in %d/%d agent runs (IP_BIND_ADDRESS_NO_PORT applied),"
                + " non-zero in %d/%d runs without the agent%n",
            agent.zeroAfterBind,
            agent.wallMillis.size(),
            none.wallMillis.size() - none.zeroAfterBind,
            none.wallMillis.size());
      }
    }
    for (String w : warnings) {
      System.out.println("  agent warning seen: " + w);
    }
    return result;
  }

  private List<String> command(Jdk jdk, Cell cell) {
    List<String> cmd = new ArrayList<String>();
    cmd.add(jdk.java());
    if (cell.agent) {
      cmd.add("-javaagent:" + agentJar.getPath() + "=" + AGENT_ARGS);
    }
    cmd.add("-cp");
    cmd.add(benchmarksJar.getPath());
    cmd.add(cell.program);
    return cmd;
  }

  /** Fails loudly when a run does not prove what the configuration claims. */
  private static void check(Cell cell, ChildJvm.Run run) {
    if (cell.agent && !run.stderr.contains("fourtuple")) {
      throw new BenchmarkFailure("the agent printed no startup line; did it load?\n" + run.describe());
    }
    if (!cell.program.equals(SOCKET)) {
      run.result("greeting");
      return;
    }
    long portAfterBind = run.resultLong("portAfterBind");
    if (run.resultLong("portAfterConnect") <= 0) {
      throw new BenchmarkFailure("the client did not get a local port at connect\n" + run.describe());
    }
    if (cell.agent && portAfterBind != 0) {
      throw new BenchmarkFailure(
          "MISSED SOCKET: with the agent in enforce mode the port right after bind must be 0"
              + " (IP_BIND_ADDRESS_NO_PORT applied), but it was "
              + portAfterBind
              + "\n"
              + run.describe());
    }
    if (!cell.agent && portAfterBind == 0) {
      throw new BenchmarkFailure(
          "without the agent the port right after bind should be non-zero; the check is broken\n"
              + run.describe());
    }
  }
}
