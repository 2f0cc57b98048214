package io.fourtuple.samples;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Short connections at a steady rate to a few destinations, the way a service without connection
 * reuse calls its backends: connect, close, repeat. The client closes first, so every connection
 * leaves its 4-tuple in TIME_WAIT for 60 s, and a destination uses source ports at (rate × 60 s).
 * Optionally also holds some connections open, drops some without closing them (the collector
 * closes them), and starts another process that holds ports of the range with explicit binds.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.ShortConnections \
 *     [--destinations 3] [--rate 20] [--seconds 10] [--hold 0] [--hold-interval-ms 0] [--leak 0]
 *     [--api socket|channel|async] [--setup connect|bind0] [--base-port 21000] [--squat 60000,60001]
 *     [--linger-ms 0] [--ss] [--mbean] [--await-ticks] [--mbean-servers]
 * </pre>
 *
 * Listeners are in this JVM on 127.0.0.1:base-port+i. With {@code --ss} it ends by printing, per
 * destination, what {@code ss -tan} shows for it ({@code SS dst=... established=N timewait=M
 * inrange=K}), then lingers {@code --linger-ms} so a ledger tick can see the same table. Last line:
 * {@code RESULT connects=N failed=F held=H leaked=L}.
 *
 * <p>{@code --mbean-servers}: last, prints {@code MBEAN-SERVERS n}, the MBean servers this JVM has
 * made ({@code MBeanServerFactory.findMBeanServer(null)}, which makes none): 0 unless someone made
 * the platform one.
 *
 * <p>{@code --await-ticks}: after each round of held connections, wait (as a JMX client, up to 60
 * s) until two ledger ticks have completed, so the second one began after those connections existed
 * and the agent has said what it saw of them before the next round: tests about the order of a
 * warning and a failure then hold however slowly a loaded machine runs the ledger thread.
 */
public final class ShortConnections {
  private ShortConnections() {}

  public static void main(String[] args) throws Exception {
    int destinations = 3;
    double rate = 20;
    double seconds = 10;
    int hold = 0;
    long holdIntervalMs = 0;
    int leak = 0;
    String api = "socket";
    String setup = "connect";
    int basePort = 21000;
    String squat = null;
    long lingerMs = 0;
    boolean ss = false;
    boolean mbean = false;
    boolean awaitTicks = false;
    boolean mbeanServers = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--ss")) {
        ss = true;
        continue;
      }
      if (a.equals("--mbean")) {
        mbean = true;
        continue;
      }
      if (a.equals("--await-ticks")) {
        awaitTicks = true;
        continue;
      }
      if (a.equals("--mbean-servers")) {
        mbeanServers = true;
        continue;
      }
      String v = args[++i];
      switch (a) {
        case "--destinations":
          destinations = Integer.parseInt(v);
          break;
        case "--rate":
          rate = Double.parseDouble(v);
          break;
        case "--seconds":
          seconds = Double.parseDouble(v);
          break;
        case "--hold":
          hold = Integer.parseInt(v);
          break;
        case "--hold-interval-ms":
          holdIntervalMs = Long.parseLong(v);
          break;
        case "--leak":
          leak = Integer.parseInt(v);
          break;
        case "--api":
          api = v;
          break;
        case "--setup":
          setup = v;
          break;
        case "--base-port":
          basePort = Integer.parseInt(v);
          break;
        case "--squat":
          squat = v;
          break;
        case "--linger-ms":
          lingerMs = Long.parseLong(v);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + a);
      }
    }
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    List<ServerSocket> listeners = new ArrayList<ServerSocket>();
    List<InetSocketAddress> targets = new ArrayList<InetSocketAddress>();
    for (int d = 0; d < destinations; d++) {
      ServerSocket listener = new ServerSocket();
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(loopback, basePort + d), 4096);
      listeners.add(listener);
      targets.add(new InetSocketAddress(loopback, basePort + d));
      Thread acceptor = new Thread(new Acceptor(listener), "acceptor-" + d);
      acceptor.setDaemon(true);
      acceptor.start();
    }
    Process squatter = null;
    if (squat != null) {
      squatter = startSquatter(squat.split(","));
    }

    Client client = new Client(api, setup, loopback);
    Map<String, Integer> failures = new TreeMap<String, Integer>();
    List<Closeable> held = new ArrayList<Closeable>();
    int failed = 0;
    // Held connections first, one by one (the ledger watches them accumulate).
    for (int i = 0; i < hold; i++) {
      for (InetSocketAddress target : targets) {
        try {
          held.add(client.open(target));
        } catch (IOException e) {
          failed++;
          count(failures, e);
        }
      }
      if (holdIntervalMs > 0) {
        Thread.sleep(holdIntervalMs);
      }
      if (awaitTicks) {
        awaitLedgerTicks(2);
      }
    }
    // Leaked: connected, then dropped without close.
    int leaked = 0;
    for (int i = 0; i < leak; i++) {
      try {
        client.open(targets.get(i % targets.size()));
        leaked++;
      } catch (IOException e) {
        failed++;
        count(failures, e);
      }
    }
    int[] serverPorts = new int[targets.size()];
    for (int d = 0; d < serverPorts.length; d++) {
      serverPorts[d] = targets.get(d).getPort();
    }
    ClientEnds clientEnds = new ClientEnds(serverPorts);
    if (leak > 0) {
      // The collector closes them (every JDK, every API): collect until the kernel shows only the
      // held ones established.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (clientEnds.count(ClientEnds.ESTABLISHED) > held.size()
          && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(10);
      }
    }
    // Short connections at a steady rate.
    int connects = 0;
    long periodNanos = rate > 0 ? (long) (1e9 / rate) : 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long next = start;
    while (rate > 0 && System.nanoTime() < end) {
      InetSocketAddress target = targets.get(connects % targets.size());
      try {
        Closeable c = client.open(target);
        c.close();
      } catch (IOException e) {
        failed++;
        count(failures, e);
      }
      connects++;
      next += periodNanos;
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
      }
    }
    for (Map.Entry<String, Integer> f : failures.entrySet()) {
      System.out.printf("failed %d x %s%n", f.getValue(), f.getKey());
    }
    if (ss) {
      // Let the last closes finish their handshake (FIN_WAIT -> TIME_WAIT) before the table is
      // read, so the ledger's next tick reads the same table.
      clientEnds.awaitNone(10_000, ClientEnds.FIN_WAIT1, ClientEnds.FIN_WAIT2, ClientEnds.CLOSING);
      printSs(targets);
    }
    if (mbean) {
      printLedgerMBean(System.currentTimeMillis());
    }
    if (mbeanServers) {
      System.out.println(
          "MBEAN-SERVERS " + javax.management.MBeanServerFactory.findMBeanServer(null).size());
    }
    System.out.printf(
        "RESULT connects=%d failed=%d held=%d leaked=%d%n", connects, failed, held.size(), leaked);
    System.out.flush();
    if (lingerMs > 0) {
      Thread.sleep(lingerMs);
    }
    if (squatter != null) {
      squatter.getOutputStream().close();
      squatter.waitFor();
    }
    for (Closeable c : held) {
      c.close();
    }
    for (ServerSocket l : listeners) {
      l.close();
    }
  }

  /**
   * Reads the agent's ledger MBean as any JMX client would (attribute by name, no agent classes),
   * once a ledger tick after {@code after} has run, and prints {@code MBEAN destinations=N} and
   * {@code MBEAN-JSON <report>}.
   */
  private static void printLedgerMBean(long after) throws Exception {
    javax.management.MBeanServer server = LedgerMBean.SERVER;
    javax.management.ObjectName name = LedgerMBean.NAME;
    long deadline = System.currentTimeMillis() + 20000;
    while (System.currentTimeMillis() < deadline) {
      if (server.isRegistered(name)
          && ((Long) server.getAttribute(name, "LastTickMillis")).longValue() > after) {
        javax.management.openmbean.CompositeData[] rows =
            (javax.management.openmbean.CompositeData[]) server.getAttribute(name, "Destinations");
        for (javax.management.openmbean.CompositeData row : rows) {
          System.out.printf(
              "MBEAN-ROW destination=%s live=%s established=%s timeWait=%s free=%s pool=%s%n",
              row.get("destination"),
              row.get("live"),
              row.get("established"),
              row.get("timeWait"),
              row.get("free"),
              row.get("pool"));
        }
        String json = (String) server.getAttribute(name, "ReportJson");
        System.out.println("MBEAN-JSON " + json.trim());
        return;
      }
      Thread.sleep(50);
    }
    System.out.println("MBEAN none: io.fourtuple:type=PortLedger not registered or no tick");
  }

  /**
   * Waits until the ledger MBean's {@code LastTickMillis} has changed {@code ticks} times after its
   * first value seen here (the MBean is registered at the first tick after the first client
   * socket); gives up after 60 s with a line saying so, which the tests' assertions then show.
   */
  private static void awaitLedgerTicks(int ticks) throws Exception {
    javax.management.MBeanServer server = LedgerMBean.SERVER;
    javax.management.ObjectName name = LedgerMBean.NAME;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Object seen = null;
    int changes = 0;
    while (System.nanoTime() < deadline) {
      Object tick = server.isRegistered(name) ? server.getAttribute(name, "LastTickMillis") : null;
      if (tick != null && !tick.equals(seen)) {
        if (seen != null && ++changes == ticks) {
          return;
        }
        seen = tick;
      }
      Thread.sleep(10);
    }
    System.out.println("AWAIT-TICKS timed out: no ledger tick within 60 s");
  }

  /**
   * The platform MBean server and the ledger MBean's name, looked up once, when a flag first asks
   * (a holder class: a run without those flags creates no MBean server of its own).
   */
  private static final class LedgerMBean {
    static final javax.management.MBeanServer SERVER =
        java.lang.management.ManagementFactory.getPlatformMBeanServer();
    static final javax.management.ObjectName NAME = name();

    private static javax.management.ObjectName name() {
      try {
        return new javax.management.ObjectName("io.fourtuple:type=PortLedger");
      } catch (javax.management.MalformedObjectNameException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static void count(Map<String, Integer> failures, IOException e) {
    String key = e.getClass().getName() + ": " + e.getMessage();
    Integer n = failures.get(key);
    failures.put(key, n == null ? 1 : n + 1);
  }

  /**
   * Starts {@link PortSquatter} in another JVM (same namespace) and waits until it holds its ports.
   */
  private static Process startSquatter(String[] ports) throws IOException {
    List<String> command = new ArrayList<String>();
    command.add(System.getProperty("java.home") + "/bin/java");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(PortSquatter.class.getName());
    for (String p : ports) {
      command.add(p.trim());
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"READY".equals(line)) {
      throw new IOException("port squatter did not start: " + line);
    }
    System.out.println("squatter holds " + String.join(",", ports));
    return p;
  }

  /** What {@code ss -tan} shows for each destination: the kernel's view, for comparison. */
  private static void printSs(List<InetSocketAddress> targets) throws Exception {
    Process p = new ProcessBuilder("ss", "-tanH").redirectErrorStream(true).start();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String[] range = readRange();
    int low = Integer.parseInt(range[0]);
    int high = Integer.parseInt(range[1]);
    int[][] counts = new int[targets.size()][3];
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 5) {
        continue;
      }
      String state = f[0];
      String local = f[3];
      String peer = f[4];
      for (int i = 0; i < targets.size(); i++) {
        if (peer.equals("127.0.0.1:" + targets.get(i).getPort())
            || peer.equals("[::ffff:127.0.0.1]:" + targets.get(i).getPort())) {
          if (state.equals("ESTAB")) {
            counts[i][0]++;
          } else if (state.equals("TIME-WAIT")) {
            counts[i][1]++;
          }
          int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1));
          if (localPort >= low && localPort <= high) {
            counts[i][2]++;
          }
        }
      }
    }
    p.waitFor();
    for (int i = 0; i < targets.size(); i++) {
      System.out.printf(
          "SS dst=127.0.0.1:%d established=%d timewait=%d inrange=%d%n",
          targets.get(i).getPort(), counts[i][0], counts[i][1], counts[i][2]);
    }
  }

  private static String[] readRange() throws IOException {
    BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new java.io.FileInputStream("/proc/sys/net/ipv4/ip_local_port_range"),
                StandardCharsets.US_ASCII));
    try {
      return r.readLine().trim().split("\\s+");
    } finally {
      r.close();
    }
  }

  private static final class Client {
    private final String api;
    private final String setup;
    private final InetAddress source;

    Client(String api, String setup, InetAddress source) {
      this.api = api;
      this.setup = setup;
      this.source = source;
    }

    Closeable open(InetSocketAddress target) throws IOException {
      if (api.equals("async")) {
        AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
        try {
          if (setup.equals("bind0")) {
            ch.bind(new InetSocketAddress(source, 0));
          }
          ch.connect(target).get(5, TimeUnit.SECONDS);
          return ch;
        } catch (IOException e) {
          ch.close();
          throw e;
        } catch (ExecutionException e) {
          ch.close();
          throw e.getCause() instanceof IOException
              ? (IOException) e.getCause()
              : new IOException(e.getCause());
        } catch (Exception e) {
          ch.close();
          throw new IOException(e);
        }
      }
      if (api.equals("channel")) {
        SocketChannel ch = SocketChannel.open();
        try {
          if (setup.equals("bind0")) {
            ch.bind(new InetSocketAddress(source, 0));
          }
          ch.connect(target);
          return ch;
        } catch (IOException e) {
          ch.close();
          throw e;
        }
      }
      Socket s = new Socket();
      try {
        if (setup.equals("bind0")) {
          s.bind(new InetSocketAddress(source, 0));
        }
        s.connect(target, 5000);
        return s;
      } catch (IOException e) {
        s.close();
        throw e;
      }
    }
  }

  private static final class Acceptor implements Runnable {
    private final ServerSocket listener;

    Acceptor(ServerSocket listener) {
      this.listener = listener;
    }

    @Override
    public void run() {
      try {
        while (true) {
          Socket s = listener.accept();
          // Server side: read until the client closes, then close, so the client closes first and
          // TIME_WAIT stays on the client side (as with a backend behind a client that does not
          // reuse).
          Thread t = new Thread(new Drain(s), "drain");
          t.setDaemon(true);
          t.start();
        }
      } catch (IOException closed) {
        // listener closed at the end of the run
      }
    }
  }

  private static final class Drain implements Runnable {
    private final Socket socket;

    Drain(Socket socket) {
      this.socket = socket;
    }

    @Override
    public void run() {
      try {
        while (socket.getInputStream().read() >= 0) {
          // discard
        }
        socket.close();
      } catch (IOException e) {
        // peer reset
      }
    }
  }
}
