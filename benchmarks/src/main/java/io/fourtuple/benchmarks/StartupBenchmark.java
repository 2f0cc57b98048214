package io.fourtuple.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark A: wall time of a child JVM from start to exit, with and without the agent, per JDK.
 *
 * <p>Two programs: {@code hello} touches no socket (the agent's fixed start cost), {@code socket}
 * binds a client socket to (loopback, 0) as its first action (the start cost plus the first hooked
 * socket, which runs the hook path cold). All cells run round-robin, the order rotated each round,
 * so drift in the machine (other load, CPU frequency, page cache) falls on all cells alike instead
 * of on whichever ran last. With the breakdown on, {@code hello} also runs under two references
 * that split the agent's cost: {@code empty-agent} (a do-nothing {@code -javaagent}: the JVM's
 * floor for any agent) and {@code agent-off} (fourtuple with {@code enabled=false}: its jar opened,
 * configuration read, nothing installed).
 *
 * <p>Each program also prints the wall clock at {@code main} entry; minus the harness's reading
 * just before the start, that is the time to {@code main} (see {@code StartupHello}).
 *
 * <p>Every agent run of {@code socket} must report that the kernel held port 0 for its socket right
 * after bind ({@code getsockname} on the descriptor, not {@code getLocalPort()}, which would make
 * the agent give the socket its port): {@code IP_BIND_ADDRESS_NO_PORT} was applied, so the hooks
 * were in place before the application's first socket. Every run without the agent must report a
 * real port (the check itself works). Anything else fails the benchmark. The program measures the
 * CPU time of that read, which is subtracted from the run's wall time: the read costs more on a JVM
 * where the agent has not set up reflection already, so counting it would hide part of the agent's
 * cost. The read needs JDK internals opened: both {@code socket} cells start through the same
 * {@link LauncherJar}, whose manifest opens them without the command-line flags that would slow
 * every start; {@code hello} runs plain.
 */
final class StartupBenchmark {
  static final String HELLO = "io.fourtuple.benchmarks.workload.StartupHello";
  static final String SOCKET = "io.fourtuple.benchmarks.workload.StartupSocket";

  /** What the report says about one JDK: agent minus none, median wall time, per program. */
  static final class Result {
    final Map<String, Double> medianDeltaMillis = new LinkedHashMap<String, Double>();
    final Map<String, Double> toMainDeltaMillis = new LinkedHashMap<String, Double>();
  }

  private static final class Cell {
    final String program;
    final String config;
    final String javaagent; // the whole -javaagent:... flag, or null
    final Samples wallMillis = new Samples();
    final Samples toMainMillis = new Samples(); // harness's clock at start to the program's at main
    final Samples agentSaysMillis = new Samples();
    final Samples checkMillis = new Samples(); // socket: the kernel read's CPU time, not in wall
    final List<Double> perRound = new ArrayList<Double>();
    int kernelZeroAfterBind;

    Cell(String program, String config, String javaagent) {
      this.program = program;
      this.config = config;
      this.javaagent = javaagent;
    }

    String programName() {
      return program.equals(HELLO) ? "hello" : "socket";
    }

    boolean isFourtuple() {
      return config.equals("agent");
    }
  }

  private final File benchmarksJar;
  private final File agentJar;
  private final File emptyAgentJar; // null: no breakdown
  private final File socketLauncherJar;
  private final ChildJvm child;
  private final int runs;
  private final int warmupRounds;

  StartupBenchmark(
      File benchmarksJar,
      File agentJar,
      File emptyAgentJar,
      File socketLauncherJar,
      ChildJvm child,
      int runs,
      int warmupRounds) {
    this.benchmarksJar = benchmarksJar;
    this.agentJar = agentJar;
    this.emptyAgentJar = emptyAgentJar;
    this.socketLauncherJar = socketLauncherJar;
    this.child = child;
    this.runs = runs;
    this.warmupRounds = warmupRounds;
  }

  Result run(Jdk jdk) {
    String agent = "-javaagent:" + agentJar.getPath() + "=mode=enforce";
    List<Cell> cells = new ArrayList<Cell>();
    cells.add(new Cell(HELLO, "none", null));
    cells.add(new Cell(HELLO, "agent", agent));
    if (emptyAgentJar != null) {
      cells.add(new Cell(HELLO, "empty-agent", "-javaagent:" + emptyAgentJar.getPath()));
      cells.add(
          new Cell(HELLO, "agent-off", "-javaagent:" + agentJar.getPath() + "=enabled=false"));
    }
    cells.add(new Cell(SOCKET, "none", null));
    cells.add(new Cell(SOCKET, "agent", agent));
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
          double wall = run.wallMillis();
          if (cell.program.equals(SOCKET)) {
            double check = run.resultLong("checkCpuMicros") / 1000.0;
            cell.checkMillis.add(check);
            wall -= check;
          }
          cell.wallMillis.add(wall);
          cell.perRound.add(wall);
          cell.toMainMillis.add(run.resultLong("mainAtMillis") - run.startEpochMillis);
          if (cell.isFourtuple()) {
            long says = run.agentReportedMillis();
            if (says >= 0) {
              cell.agentSaysMillis.add(says);
            }
          }
          if (cell.program.equals(SOCKET) && run.resultLong("kernelPortAfterBind") == 0) {
            cell.kernelZeroAfterBind++;
          }
        }
      }
      System.out.print(measured ? "." : "w");
      System.out.flush();
    }
    System.out.println();

    System.out.printf(
        Locale.ROOT,
        "%-7s %-12s %5s %10s %8s %8s %8s %10s %11s %11s%n",
        "program",
        "config",
        "runs",
        "median ms",
        "p90 ms",
        "min ms",
        "max ms",
        "vs none",
        "to main ms",
        "agent says");
    Result result = new Result();
    Map<String, Cell> noneByProgram = new LinkedHashMap<String, Cell>();
    for (Cell cell : cells) {
      if (cell.config.equals("none")) {
        noneByProgram.put(cell.program, cell);
      }
    }
    for (Cell cell : cells) {
      Cell none = noneByProgram.get(cell.program);
      double delta = cell.wallMillis.median() - none.wallMillis.median();
      System.out.printf(
          Locale.ROOT,
          "%-7s %-12s %5d %10.1f %8.1f %8.1f %8.1f %10s %11.1f %11s%n",
          cell.programName(),
          cell.config,
          cell.wallMillis.size(),
          cell.wallMillis.median(),
          cell.wallMillis.percentile(90),
          cell.wallMillis.min(),
          cell.wallMillis.max(),
          cell == none ? "" : String.format(Locale.ROOT, "%+.1f", delta),
          cell.toMainMillis.median(),
          cell.agentSaysMillis.size() > 0
              ? String.format(Locale.ROOT, "%.0f ms", cell.agentSaysMillis.median())
              : "");
    }
    for (Cell cell : cells) {
      if (!cell.isFourtuple()) {
        continue;
      }
      Cell none = noneByProgram.get(cell.program);
      double delta = cell.wallMillis.median() - none.wallMillis.median();
      Samples paired = new Samples();
      for (int r = 0; r < none.perRound.size(); r++) {
        paired.add(cell.perRound.get(r) - none.perRound.get(r));
      }
      result.medianDeltaMillis.put(cell.programName(), delta);
      double toMain = cell.toMainMillis.median() - none.toMainMillis.median();
      result.toMainDeltaMillis.put(cell.programName(), toMain);
      System.out.printf(
          Locale.ROOT,
          "  %-6s agent - none: %+.1f ms (difference of medians); paired within each round: median"
              + " %+.1f ms, p90 %+.1f ms%n",
          cell.programName(),
          delta,
          paired.median(),
          paired.percentile(90));
      System.out.printf(
          Locale.ROOT,
          "  %-6s time to main, agent - none: %+.1f ms (difference of medians)%n",
          cell.programName(),
          toMain);
      if (cell.program.equals(SOCKET)) {
        System.out.printf(
            Locale.ROOT,
            "  socket port in the kernel right after bind: 0 in %d/%d agent runs"
                + " (IP_BIND_ADDRESS_NO_PORT applied), non-zero in %d/%d runs without the agent%n",
            cell.kernelZeroAfterBind,
            cell.wallMillis.size(),
            none.wallMillis.size() - none.kernelZeroAfterBind,
            none.wallMillis.size());
        System.out.printf(
            Locale.ROOT,
            "  socket kernel read's own CPU time, subtracted from every socket run: median %.2f"
                + " ms with the agent (max %.2f), %.2f ms without (max %.2f)%n",
            cell.checkMillis.median(),
            cell.checkMillis.max(),
            none.checkMillis.median(),
            none.checkMillis.max());
      }
    }
    System.out.println(
        "  (agent says = the agent's own \"took N ms\" from premain entry to its startup line;"
            + " to main = the program's wall clock at main entry minus the harness's just before"
            + " start; socket rows are wall time minus the CPU time of the program's kernel read)");
    for (String w : warnings) {
      System.out.println("  agent warning seen: " + w);
    }
    return result;
  }

  private List<String> command(Jdk jdk, Cell cell) {
    List<String> cmd = new ArrayList<String>();
    cmd.add(jdk.java());
    if (cell.javaagent != null) {
      cmd.add(cell.javaagent);
    }
    if (cell.program.equals(SOCKET)) {
      cmd.add("-jar");
      cmd.add(socketLauncherJar.getPath());
    } else {
      cmd.add("-cp");
      cmd.add(benchmarksJar.getPath());
      cmd.add(cell.program);
    }
    return cmd;
  }

  /** Fails loudly when a run does not prove what the configuration claims. */
  private static void check(Cell cell, ChildJvm.Run run) {
    if (cell.isFourtuple() && !run.stderr.contains("fourtuple")) {
      throw new BenchmarkFailure(
          "the agent printed no startup line; did it load?\n" + run.describe());
    }
    if (!cell.program.equals(SOCKET)) {
      run.result("greeting");
      return;
    }
    long portAfterBind = run.resultLong("kernelPortAfterBind");
    if (run.resultLong("portAfterConnect") <= 0) {
      throw new BenchmarkFailure(
          "the client did not get a local port at connect\n" + run.describe());
    }
    if (cell.isFourtuple() && portAfterBind != 0) {
      throw new BenchmarkFailure(
          "MISSED SOCKET: with the agent in enforce mode the kernel's port right after bind must"
              + " be 0 (IP_BIND_ADDRESS_NO_PORT applied), but it was "
              + portAfterBind
              + "\n"
              + run.describe());
    }
    if (!cell.isFourtuple() && portAfterBind == 0) {
      throw new BenchmarkFailure(
          "without the agent the kernel's port right after bind should be non-zero; the check is"
              + " broken\n"
              + run.describe());
    }
  }
}
