package io.fourtuple.benchmarks.ledger;

import java.io.File;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark: the ledger's kernel-table reader against {@code ss -tan} on the same table. Meant to
 * run in its own network namespace (benchmarks/ledger.sh does that): it opens {@code --connections}
 * loopback connections to {@code --listeners} listeners in this process (each connection is two
 * sockets in the table, client and server side; the server side stays in the accept queue), then
 * alternates, for {@code --rounds} rounds: {@code ss -tan} with its output discarded, and the
 * agent's reader (loaded from the agent jar) doing what {@code doctor} does: read {@code
 * /proc/net/tcp} and {@code tcp6}, parse every row, sum per destination and state. It also times
 * the two parts of a ledger tick on their own: the table alone (filtered to a few destinations) and
 * this process's descriptors ({@code /proc/self/fd}).
 *
 * <pre>
 * java -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.ledger.KernelTableBenchmark \
 *     --agent fourtuple-agent.jar [--connections 50000] [--listeners 4] [--rounds 15]
 * </pre>
 *
 * Prints medians and {@code RESULT ss=ms reader=ms ratio=r rows=n}; goal: ratio at most 1.5.
 */
public final class KernelTableBenchmark {
  private KernelTableBenchmark() {}

  public static void main(String[] args) throws Exception {
    String agent = null;
    int connections = 50000;
    int listeners = 4;
    int rounds = 15;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      if (args[i].equals("--agent")) {
        agent = v;
      } else if (args[i].equals("--connections")) {
        connections = Integer.parseInt(v);
      } else if (args[i].equals("--listeners")) {
        listeners = Integer.parseInt(v);
      } else if (args[i].equals("--rounds")) {
        rounds = Integer.parseInt(v);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (agent == null) {
      throw new IllegalArgumentException("--agent path/to/fourtuple-agent.jar is required");
    }
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    List<ServerSocket> servers = new ArrayList<ServerSocket>();
    for (int i = 0; i < listeners; i++) {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(loopback, 0), 65535);
      servers.add(s);
    }
    long start = System.nanoTime();
    // Connections are held by helper processes (a process may hold fewer descriptors than the table
    // should have rows); the server sides stay in the listeners' accept queues (somaxconn raised by
    // the script), so this process holds only the listeners.
    List<Process> holders = new ArrayList<Process>();
    int perHolder = 15000;
    for (int opened = 0; opened < connections; opened += perHolder) {
      List<String> command = new ArrayList<String>();
      command.add(System.getProperty("java.home") + "/bin/java");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(ConnectionHolder.class.getName());
      command.add(String.valueOf(Math.min(perHolder, connections - opened)));
      for (ServerSocket s : servers) {
        command.add(String.valueOf(s.getLocalPort()));
      }
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      java.io.BufferedReader out =
          new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), "UTF-8"));
      String ready = out.readLine();
      if (ready == null || !ready.startsWith("READY")) {
        throw new IllegalStateException("connection holder failed: " + ready);
      }
      holders.add(p);
    }
    List<SocketChannel> clients = new ArrayList<SocketChannel>();
    System.out.printf(
        Locale.ROOT,
        "%d connections to %d listeners opened in %.1f s (%d sockets in the table)%n",
        connections,
        listeners,
        (System.nanoTime() - start) / 1e9,
        2 * connections + listeners);

    URLClassLoader loader = new URLClassLoader(new URL[] {new File(agent).toURI().toURL()}, null);
    Class<?> tcpTable = loader.loadClass("io.fourtuple.agent.core.kernel.TcpTable");
    Class<?> portRange = loader.loadClass("io.fourtuple.agent.core.kernel.PortRange");
    Class<?> ownSockets = loader.loadClass("io.fourtuple.agent.core.kernel.OwnSockets");
    Class<?> kernelView = loader.loadClass("io.fourtuple.agent.core.kernel.KernelView");
    Class<?> endpoint = loader.loadClass("io.fourtuple.agent.core.kernel.Endpoint");
    Method read =
        kernelView.getMethod("read", tcpTable, portRange, ownSockets, java.util.Set.class);
    Method rows = kernelView.getMethod("rows");
    Method current = portRange.getMethod("current");
    Method own = ownSockets.getMethod("current");
    Method endpointOf = endpoint.getMethod("of", InetSocketAddress.class);
    java.util.Set<Object> tracked = new java.util.HashSet<Object>();
    for (ServerSocket s : servers) {
      tracked.add(endpointOf.invoke(null, new InetSocketAddress(loopback, s.getLocalPort())));
    }
    Object reader = tcpTable.getConstructor().newInstance();

    double[] ss = new double[rounds];
    double[] full = new double[rounds];
    double[] filtered = new double[rounds];
    double[] fds = new double[rounds];
    int tableRows = 0;
    // Warm-up: JIT the reader, page the ss binary in.
    for (int i = 0; i < 3; i++) {
      runSs();
      read.invoke(null, reader, current.invoke(null), null, null);
    }
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      runSs();
      long t1 = System.nanoTime();
      Object view = read.invoke(null, reader, current.invoke(null), null, null);
      long t2 = System.nanoTime();
      read.invoke(null, reader, current.invoke(null), null, tracked);
      long t3 = System.nanoTime();
      own.invoke(null);
      long t4 = System.nanoTime();
      ss[r] = (t1 - t0) / 1e6;
      full[r] = (t2 - t1) / 1e6;
      filtered[r] = (t3 - t2) / 1e6;
      fds[r] = (t4 - t3) / 1e6;
      tableRows = (Integer) rows.invoke(view);
    }
    double ssMedian = median(ss);
    double fullMedian = median(full);
    System.out.printf(
        Locale.ROOT,
        "ss -tan (process, output discarded):     median %8.1f ms  %s%n",
        ssMedian,
        Arrays.toString(round(ss)));
    System.out.printf(
        Locale.ROOT,
        "reader, every destination (as doctor):   median %8.1f ms  %s%n",
        fullMedian,
        Arrays.toString(round(full)));
    System.out.printf(
        Locale.ROOT,
        "reader, %d tracked destinations (tick):   median %8.1f ms%n",
        tracked.size(),
        median(filtered));
    System.out.printf(
        Locale.ROOT, "this process's descriptors (/proc/self/fd): median %8.1f ms%n", median(fds));
    System.out.printf(
        Locale.ROOT,
        "RESULT ss=%.1f reader=%.1f ratio=%.2f rows=%d tick=%.1f fds=%.1f%n",
        ssMedian,
        fullMedian,
        fullMedian / ssMedian,
        tableRows,
        median(filtered),
        median(fds));
    for (SocketChannel c : clients) {
      c.close();
    }
    for (Process p : holders) {
      p.getOutputStream().close();
      p.waitFor();
    }
    for (ServerSocket s : servers) {
      s.close();
    }
  }

  private static void runSs() throws Exception {
    Process p =
        new ProcessBuilder("ss", "-tan")
            .redirectErrorStream(true)
            .redirectOutput(new File("/dev/null"))
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ss -tan failed");
    }
  }

  static double median(double[] values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    int n = copy.length;
    return n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
  }

  private static String[] round(double[] values) {
    String[] out = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = String.format(Locale.ROOT, "%.1f", values[i]);
    }
    return out;
  }
}
