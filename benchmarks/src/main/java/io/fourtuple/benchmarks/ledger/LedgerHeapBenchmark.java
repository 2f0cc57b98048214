package io.fourtuple.benchmarks.ledger;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark: the agent's heap with the ledger following {@code --connections} live connections over
 * {@code --destinations} destinations. Runs {@link LedgerHeapWorkload} in child JVMs (same JDK,
 * same flags, {@code -XX:+UseSerialGC} so "used after a full collection" is exact), alternately
 * without and with the agent, {@code --runs} times each; the agent's heap is the difference of the
 * medians. Run it in a network namespace with a raised descriptor limit (benchmarks/ledger.sh
 * does).
 *
 * <pre>
 * java -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.ledger.LedgerHeapBenchmark \
 *     --agent fourtuple-agent.jar [--java /path/to/java] [--connections 100000] [--destinations 10000]
 *     [--runs 3]
 * </pre>
 *
 * Prints {@code RESULT agentHeapBytes=B goalBytes=16777216}; goal: at most 16 MB.
 */
public final class LedgerHeapBenchmark {
  private LedgerHeapBenchmark() {}

  public static void main(String[] args) throws Exception {
    String agent = null;
    String java = System.getProperty("java.home") + "/bin/java";
    int connections = 100000;
    int destinations = 10000;
    int runs = 3;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      if (args[i].equals("--agent")) {
        agent = v;
      } else if (args[i].equals("--java")) {
        java = v;
      } else if (args[i].equals("--connections")) {
        connections = Integer.parseInt(v);
      } else if (args[i].equals("--destinations")) {
        destinations = Integer.parseInt(v);
      } else if (args[i].equals("--runs")) {
        runs = Integer.parseInt(v);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (agent == null) {
      throw new IllegalArgumentException("--agent path/to/fourtuple-agent.jar is required");
    }
    String classpath =
        new File(
                LedgerHeapBenchmark.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI())
            .getPath();
    double[] without = new double[runs];
    double[] with = new double[runs];
    long followed = -1;
    for (int r = 0; r < runs; r++) {
      without[r] = run(java, classpath, null, connections, destinations)[0];
      long[] withAgent =
          run(
              java,
              classpath,
              "-javaagent:"
                  + agent
                  + "=ledger.interval=2s,ledger.summary.interval=off,ledger.warn.headroom=1",
              connections,
              destinations);
      with[r] = withAgent[0];
      followed = withAgent[1];
      System.out.printf(
          Locale.ROOT,
          "  run %d: heap used without agent %.1f MB, with agent %.1f MB (ledger follows %d"
              + " sockets)%n",
          r + 1,
          without[r] / 1048576.0,
          with[r] / 1048576.0,
          followed);
    }
    double delta = KernelTableBenchmark.median(with) - KernelTableBenchmark.median(without);
    System.out.printf(
        Locale.ROOT,
        "agent heap with %d live connections over %d destinations: %.1f MB (median of %d runs; goal"
            + " 16 MB)%n",
        connections,
        destinations,
        delta / 1048576.0,
        runs);
    System.out.printf(
        Locale.ROOT,
        "RESULT agentHeapBytes=%.0f goalBytes=%d followed=%d%n",
        delta,
        16L * 1024 * 1024,
        followed);
  }

  /** {heapUsed, followed} of one workload run. */
  private static long[] run(
      String java, String classpath, String agentArg, int connections, int destinations)
      throws Exception {
    List<String> command = new ArrayList<String>();
    command.add(java);
    command.add("-Xmx2g");
    command.add("-XX:+UseSerialGC");
    if (agentArg != null) {
      command.add(agentArg);
    }
    command.add("-cp");
    command.add(classpath);
    command.add(LedgerHeapWorkload.class.getName());
    command.add("--connections");
    command.add(String.valueOf(connections));
    command.add("--destinations");
    command.add(String.valueOf(destinations));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    String result = null;
    StringBuilder all = new StringBuilder();
    while ((line = out.readLine()) != null) {
      all.append(line).append('\n');
      if (line.startsWith("RESULT ")) {
        result = line;
      }
    }
    if (p.waitFor() != 0 || result == null) {
      throw new IllegalStateException("workload failed: " + command + "\n" + all);
    }
    long heap = -1;
    long followed = -1;
    for (String pair : result.substring(7).split(" ")) {
      String[] kv = pair.split("=");
      if (kv[0].equals("heapUsed")) {
        heap = Long.parseLong(kv[1]);
      } else if (kv[0].equals("followed")) {
        followed = Long.parseLong(kv[1]);
      }
    }
    return new long[] {heap, followed};
  }
}
