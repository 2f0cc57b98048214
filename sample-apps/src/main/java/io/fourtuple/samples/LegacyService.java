package io.fourtuple.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * A long-running, legacy-style service to attach fourtuple to: it cannot be restarted, and its code
 * is as it is.
 *
 * <ul>
 *   <li>A <b>blocking client pool</b> with a configured local address: one worker per backend, each
 *       refreshing its connections every cycle (close all, open up to {@code --per-destination}
 *       again with {@code bind(source, 0)} then {@code connect(backend)}, as pools with a {@code
 *       localAddress} setting do). The backends are listeners in this process on {@code
 *       --destinations} ports from {@code --base-port}. Workers move in lock step, so each cycle's
 *       count is the capacity of the host at that moment: the ephemeral range in total without
 *       {@code IP_BIND_ADDRESS_NO_PORT}, per backend with it.
 *   <li>An <b>NIO part</b>: a selector-based health endpoint whose accepted channels get {@code
 *       SO_LINGER=1000}, meant as "1 second" (the unit is seconds: 16 min 40 s), polled once per
 *       cycle by a {@code SocketChannel} client.
 * </ul>
 *
 * Each cycle: health check, open, count, hold, close. Closes are arranged so that no client-side
 * TIME_WAIT is left (the backend closes first), and before the health check and before the pool
 * opens the service waits until the kernel's socket table holds no client end of its own
 * connections any more (one still in LAST_ACK holds its port), so each cycle starts from the whole
 * range and its count is the capacity the kernel allows, whatever the previous cycle left. Each
 * cycle prints one line, parsed by tests ({@code closingAtStart}: client ends of the previous cycle
 * still in the kernel's table when it ended, waited for; {@code portsInUseAtRefill}: client ends
 * left when the pool opened, 0 unless the kernel kept one for 10 s):
 *
 * <pre>
 * CAPACITY cycle=3 held=100 attempted=120 failed=20 destinations=10 closingAtStart=0
 *     portsInUseAtRefill=0 health=ok errors={...}
 * </pre>
 *
 * The pool holds each cycle's connections for {@code --interval-ms}, or, with {@code --hold stdin},
 * until a line arrives on standard input (a test steps the cycles that way and reads the service
 * while it holds).
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.LegacyService [--source 127.0.0.1]
 *     [--destinations 10] [--per-destination 12] [--base-port 20000] [--health-port 19999]
 *     [--interval-ms 500 | --hold stdin] [--cycles 0 (forever)]
 * </pre>
 */
public final class LegacyService {
  private LegacyService() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    InetAddress source = InetAddress.getByName(o.source);
    for (int d = 0; d < o.destinations; d++) {
      ServerSocket backend = new ServerSocket();
      backend.setReuseAddress(true);
      backend.bind(new InetSocketAddress(source, o.basePort + d), 4096);
      daemon(new Backend(backend), "backend-" + d).start();
    }
    HealthEndpoint health = new HealthEndpoint(new InetSocketAddress(source, o.healthPort));
    daemon(health, "health-selector").start();

    int[] serverPorts = new int[o.destinations + 1];
    for (int d = 0; d < o.destinations; d++) {
      serverPorts[d] = o.basePort + d;
    }
    serverPorts[o.destinations] = o.healthPort;
    ClientEnds clientEnds = new ClientEnds(serverPorts);
    BufferedReader stdin =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));

    CyclicBarrier phase = new CyclicBarrier(o.destinations + 1);
    List<PoolWorker> workers = new ArrayList<PoolWorker>();
    for (int d = 0; d < o.destinations; d++) {
      PoolWorker w =
          new PoolWorker(
              source, new InetSocketAddress(source, o.basePort + d), o.perDestination, phase);
      workers.add(w);
      daemon(w, "pool-" + d).start();
    }
    System.out.println(
        "READY pid="
            + pid()
            + " destinations="
            + o.destinations
            + " perDestination="
            + o.perDestination);
    for (int cycle = 1; o.cycles == 0 || cycle <= o.cycles; cycle++) {
      phase.await(); // workers have closed last cycle's connections
      // Their client ends pass through LAST_ACK until the backend's final ACK; on a busy machine
      // that can outlast the next connect, which would then find a port still taken.
      int closingAtStart = clientEnds.count();
      clientEnds.awaitNone(KERNEL_WAIT_MILLIS);
      // Alone on the ports: with all of them held by exclusive binds, even this connect would fail.
      String healthResult = healthCheck(new InetSocketAddress(source, o.healthPort));
      int portsInUseAtRefill = clientEnds.awaitNone(KERNEL_WAIT_MILLIS); // the health check's own
      phase.await(); // workers may open
      phase.await(); // workers have opened
      int held = 0;
      int attempted = 0;
      Map<String, Integer> errors = new TreeMap<String, Integer>();
      for (PoolWorker w : workers) {
        held += w.held.size();
        attempted += w.attempted;
        for (Map.Entry<String, Integer> e : w.errors.entrySet()) {
          Integer n = errors.get(e.getKey());
          errors.put(e.getKey(), (n == null ? 0 : n) + e.getValue());
        }
      }
      System.out.println(
          "CAPACITY cycle="
              + cycle
              + " held="
              + held
              + " attempted="
              + attempted
              + " failed="
              + (attempted - held)
              + " destinations="
              + o.destinations
              + " closingAtStart="
              + closingAtStart
              + " portsInUseAtRefill="
              + portsInUseAtRefill
              + " health="
              + healthResult
              + " errors="
              + errors.toString().replace(' ', '_'));
      System.out.flush();
      // The pool holds its connections meanwhile.
      if (o.holdUntilStdin) {
        if (stdin.readLine() == null) {
          break;
        }
      } else {
        Thread.sleep(o.intervalMillis);
      }
      phase.await(); // workers may close
    }
    System.exit(0);
  }

  /**
   * How long the kernel may keep a client end of the previous cycle before the cycle goes ahead
   * anyway (and says so in its line). On loopback the last ACK comes within milliseconds.
   */
  static final long KERNEL_WAIT_MILLIS = 10_000;

  /**
   * One NIO round trip to the health endpoint: connect, send, read the answer until the server
   * closes.
   */
  static String healthCheck(InetSocketAddress endpoint) {
    try (SocketChannel ch = SocketChannel.open(endpoint)) {
      ch.write(ByteBuffer.wrap("PING\n".getBytes("US-ASCII")));
      ByteBuffer in = ByteBuffer.allocate(64);
      while (ch.read(in) >= 0) {
        // until the endpoint closes first: no TIME_WAIT on this side
      }
      return in.position() > 0 ? "ok" : "empty";
    } catch (IOException e) {
      return "failed:" + e.getClass().getSimpleName();
    }
  }

  /** One backend's share of the pool. */
  static final class PoolWorker implements Runnable {
    final InetAddress source;
    final InetSocketAddress backend;
    final int size;
    final CyclicBarrier phase;
    final List<Socket> held = new ArrayList<Socket>();
    final Map<String, Integer> errors = new TreeMap<String, Integer>();
    int attempted;

    PoolWorker(InetAddress source, InetSocketAddress backend, int size, CyclicBarrier phase) {
      this.source = source;
      this.backend = backend;
      this.size = size;
      this.phase = phase;
    }

    @Override
    public void run() {
      try {
        while (true) {
          phase.await();
          phase.await();
          refill();
          phase.await();
          phase.await();
          closeAll();
        }
      } catch (InterruptedException | BrokenBarrierException stop) {
        Thread.currentThread().interrupt();
      }
    }

    /** The backend closes first (it reads "BYE", then closes), so this side leaves no TIME_WAIT. */
    private void closeAll() {
      for (Socket s : held) {
        try {
          s.getOutputStream().write('Q');
          InputStream in = s.getInputStream();
          while (in.read() >= 0) {
            // wait for the backend's close
          }
        } catch (IOException ignored) {
          // already gone
        }
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
      held.clear();
    }

    private void refill() {
      errors.clear();
      attempted = 0;
      for (int i = 0; i < size; i++) {
        attempted++;
        Socket s = new Socket();
        try {
          s.bind(new InetSocketAddress(source, 0)); // the pool's configured local address
          s.connect(backend, 5000);
          held.add(s);
        } catch (IOException e) {
          String key = e.getClass().getSimpleName() + ":" + e.getMessage();
          Integer n = errors.get(key);
          errors.put(key, (n == null ? 0 : n) + 1);
          try {
            s.close();
          } catch (IOException ignored) {
            // nothing to do
          }
        }
      }
    }
  }

  /** A backend: accepts, and closes each connection when the client sends a byte. */
  static final class Backend implements Runnable {
    private final ServerSocket listener;

    Backend(ServerSocket listener) {
      this.listener = listener;
    }

    @Override
    public void run() {
      while (true) {
        try {
          final Socket s = listener.accept();
          daemon(
                  new Runnable() {
                    @Override
                    public void run() {
                      try {
                        s.getInputStream().read();
                      } catch (IOException ignored) {
                        // the client went away
                      }
                      try {
                        s.close();
                      } catch (IOException ignored) {
                        // nothing to do
                      }
                    }
                  },
                  "backend-conn")
              .start();
        } catch (IOException closed) {
          return;
        }
      }
    }
  }

  /**
   * The NIO part: a selector loop answering "OK" and closing. The linger misuse is here: accepted
   * channels get {@code SO_LINGER=1000} as if the unit were milliseconds.
   */
  static final class HealthEndpoint implements Runnable {
    private final Selector selector;
    private final ServerSocketChannel server;

    HealthEndpoint(InetSocketAddress at) throws IOException {
      selector = Selector.open();
      server = ServerSocketChannel.open();
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(at);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
    }

    @Override
    public void run() {
      ByteBuffer buffer = ByteBuffer.allocate(64);
      while (true) {
        try {
          selector.select();
          Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
          while (keys.hasNext()) {
            SelectionKey key = keys.next();
            keys.remove();
            if (key.isAcceptable()) {
              SocketChannel ch = server.accept();
              if (ch != null) {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.SO_LINGER, 1000); // "1 s" (it is 1000 s)
                ch.register(selector, SelectionKey.OP_READ);
              }
            } else if (key.isReadable()) {
              SocketChannel ch = (SocketChannel) key.channel();
              buffer.clear();
              int n = ch.read(buffer);
              if (n != 0) {
                if (n > 0) {
                  ch.write(ByteBuffer.wrap("OK\n".getBytes("US-ASCII")));
                }
                key.cancel();
                ch.close();
              }
            }
          }
        } catch (IOException e) {
          System.out.println("health endpoint: " + e);
        }
      }
    }
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  static String pid() {
    try {
      return new java.io.File("/proc/self").getCanonicalFile().getName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  static final class Options {
    String source = "127.0.0.1";
    int destinations = 10;
    int perDestination = 12;
    int basePort = 20000;
    int healthPort = 19999;
    long intervalMillis = 500;
    boolean holdUntilStdin;
    int cycles;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + args[i]);
        }
        String v = args[i + 1];
        switch (args[i]) {
          case "--source":
            o.source = v;
            break;
          case "--destinations":
            o.destinations = Integer.parseInt(v);
            break;
          case "--per-destination":
            o.perDestination = Integer.parseInt(v);
            break;
          case "--base-port":
            o.basePort = Integer.parseInt(v);
            break;
          case "--health-port":
            o.healthPort = Integer.parseInt(v);
            break;
          case "--interval-ms":
            o.intervalMillis = Long.parseLong(v);
            break;
          case "--hold":
            if (!v.equals("stdin") && !v.equals("interval")) {
              throw new IllegalArgumentException("--hold must be stdin or interval: " + v);
            }
            o.holdUntilStdin = v.equals("stdin");
            break;
          case "--cycles":
            o.cycles = Integer.parseInt(v);
            break;
          default:
            throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return o;
    }
  }
}
