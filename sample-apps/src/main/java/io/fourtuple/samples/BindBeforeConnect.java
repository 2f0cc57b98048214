package io.fourtuple.samples;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client that does what connection pools do when a source address is configured: {@code bind(ip,
 * 0)} and then {@code connect(destination)}, holding every connection open. It starts its own
 * listeners on {@code destinations} local ports and tries {@code per-destination} connections to
 * each.
 *
 * <p>Without IP_BIND_ADDRESS_NO_PORT every bind reserves a port for all destinations, so the whole
 * run gets at most the ephemeral range in total; with it, each destination gets the whole range.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.BindBeforeConnect \
 *     [--api socket|channel|async|async-handler] [--source 127.0.0.1|::1] [--destinations 10] [--per-destination 20]
 *     [--setup bind0|connect-only|explicit-port] [--explicit-port-base 40000] [--reuseaddr]
 *     [--base-port 20000] [--read-port-after-bind]
 * </pre>
 *
 * <p>{@code --read-port-after-bind} reads each socket's local port between bind and connect, as
 * code that logs or announces its source port does. The JDK has a port to return then; so does the
 * agent, which gives such a socket its port at the read: it then reserves that port for every
 * destination, exactly as without the agent. Without the option nothing reads the port before
 * connect, so the agent's deferral is invisible ({@code portZeroAfterBind} counts reads that
 * returned 0).
 *
 * <p>{@code async} connects an {@code AsynchronousSocketChannel} through the {@code Future} form of
 * {@code connect}, {@code async-handler} through the {@code CompletionHandler} form.
 *
 * <p>The last line is machine-readable: {@code RESULT api=socket attempted=200 connected=100 ...}.
 */
public final class BindBeforeConnect {

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    InetAddress source = InetAddress.getByName(o.source);
    List<ServerSocket> listeners = new ArrayList<ServerSocket>();
    Set<String> acceptedPeers = Collections.newSetFromMap(new ConcurrentHashMap<String, Boolean>());
    for (int d = 0; d < o.destinations; d++) {
      ServerSocket listener = new ServerSocket();
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(source, o.basePort + d), 4096);
      listeners.add(listener);
      Thread acceptor = new Thread(new Acceptor(listener, acceptedPeers), "acceptor-" + d);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    List<Closeable> held = new ArrayList<Closeable>();
    Map<String, Integer> failures = new TreeMap<String, Integer>();
    Map<Integer, Integer> perDestination = new TreeMap<Integer, Integer>();
    List<String> localEnds = new ArrayList<String>();
    int attempted = 0;
    int connected = 0;
    int portZeroAfterBind = 0;
    int explicitPortKept = 0;
    for (int round = 0; round < o.perDestination; round++) {
      for (int d = 0; d < o.destinations; d++) {
        attempted++;
        InetSocketAddress destination = new InetSocketAddress(source, o.basePort + d);
        int wantPort = o.setup.equals("explicit-port") ? o.explicitPortBase + attempted - 1 : 0;
        try {
          Attempt a;
          if (o.api.equals("channel")) {
            a = connectChannel(o, source, wantPort, destination);
          } else if (o.api.startsWith("async")) {
            a = connectAsync(o, source, wantPort, destination);
          } else {
            a = connectSocket(o, source, wantPort, destination);
          }
          held.add(a.handle);
          connected++;
          localEnds.add(destination.getPort() + "<-" + a.localPortAfterConnect);
          if (a.localPortAfterBind == 0) {
            portZeroAfterBind++;
          }
          if (wantPort != 0 && a.localPortAfterConnect == wantPort) {
            explicitPortKept++;
          }
          Integer n = perDestination.get(destination.getPort());
          perDestination.put(destination.getPort(), n == null ? 1 : n + 1);
        } catch (IOException e) {
          String key = e.getClass().getName() + ": " + e.getMessage();
          Integer n = failures.get(key);
          failures.put(key, n == null ? 1 : n + 1);
        }
      }
    }

    // Every (destination, local port) the client saw must be a peer some listener accepted.
    long deadline = System.currentTimeMillis() + 5000;
    while (acceptedPeers.size() < connected && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    int mismatched = 0;
    for (String end : localEnds) {
      if (end.endsWith("<-0") || !acceptedPeers.contains(end)) {
        mismatched++;
      }
    }

    System.out.printf(
        "api=%s source=%s setup=%s destinations=%d attempts=%d%n",
        o.api, o.source, o.setup, o.destinations, attempted);
    System.out.printf(
        "connected %d of %d; per destination: %s%n", connected, attempted, perDestination);
    for (Map.Entry<String, Integer> f : failures.entrySet()) {
      System.out.printf("failed %d x %s%n", f.getValue(), f.getKey());
    }
    int failed = attempted - connected;
    System.out.printf(
        "RESULT api=%s setup=%s attempted=%d connected=%d failed=%d portZeroAfterBind=%d"
            + " localPortMismatch=%d explicitPortKept=%d destinationsReached=%d%n",
        o.api,
        o.setup,
        attempted,
        connected,
        failed,
        portZeroAfterBind,
        mismatched,
        explicitPortKept,
        perDestination.size());
    for (Closeable c : held) {
      c.close();
    }
    for (ServerSocket l : listeners) {
      l.close();
    }
  }

  private static Attempt connectSocket(
      Options o, InetAddress source, int wantPort, InetSocketAddress destination)
      throws IOException {
    Socket s = new Socket();
    try {
      if (o.reuseAddr) {
        s.setReuseAddress(true);
      }
      int afterBind = -1;
      if (!o.setup.equals("connect-only")) {
        s.bind(new InetSocketAddress(source, wantPort));
        if (o.readPortAfterBind) {
          afterBind = s.getLocalPort();
        }
      }
      s.connect(destination, 5000);
      return new Attempt(s, afterBind, s.getLocalPort());
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static Attempt connectChannel(
      Options o, InetAddress source, int wantPort, InetSocketAddress destination)
      throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      if (o.reuseAddr) {
        ch.socket().setReuseAddress(true);
      }
      int afterBind = -1;
      if (!o.setup.equals("connect-only")) {
        ch.bind(new InetSocketAddress(source, wantPort));
        if (o.readPortAfterBind) {
          afterBind = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
      }
      ch.connect(destination);
      return new Attempt(ch, afterBind, ((InetSocketAddress) ch.getLocalAddress()).getPort());
    } catch (IOException e) {
      ch.close();
      throw e;
    }
  }

  private static Attempt connectAsync(
      Options o, InetAddress source, int wantPort, InetSocketAddress destination)
      throws IOException {
    AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
    try {
      if (o.reuseAddr) {
        ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, Boolean.TRUE);
      }
      int afterBind = -1;
      if (!o.setup.equals("connect-only")) {
        ch.bind(new InetSocketAddress(source, wantPort));
        if (o.readPortAfterBind) {
          afterBind = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
      }
      if (o.api.equals("async-handler")) {
        connectWithHandler(ch, destination);
      } else {
        try {
          ch.connect(destination).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw asIoException(e.getCause());
        }
      }
      return new Attempt(ch, afterBind, ((InetSocketAddress) ch.getLocalAddress()).getPort());
    } catch (IOException e) {
      ch.close();
      throw e;
    } catch (Exception e) {
      ch.close();
      throw asIoException(e);
    }
  }

  private static void connectWithHandler(
      AsynchronousSocketChannel ch, InetSocketAddress destination) throws Exception {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
    ch.connect(
        destination,
        null,
        new CompletionHandler<Void, Object>() {
          @Override
          public void completed(Void result, Object attachment) {
            done.countDown();
          }

          @Override
          public void failed(Throwable exc, Object attachment) {
            failure.set(exc);
            done.countDown();
          }
        });
    if (!done.await(5, TimeUnit.SECONDS)) {
      throw new IOException("connect did not complete in 5 s");
    }
    if (failure.get() != null) {
      throw asIoException(failure.get());
    }
  }

  private static IOException asIoException(Throwable t) {
    return t instanceof IOException ? (IOException) t : new IOException(t);
  }

  private static final class Attempt {
    final Closeable handle;
    final int localPortAfterBind;
    final int localPortAfterConnect;

    Attempt(Closeable handle, int localPortAfterBind, int localPortAfterConnect) {
      this.handle = handle;
      this.localPortAfterBind = localPortAfterBind;
      this.localPortAfterConnect = localPortAfterConnect;
    }
  }

  private static final class Acceptor implements Runnable {
    private final ServerSocket listener;
    private final Set<String> peers;
    private final List<Socket> accepted = new ArrayList<Socket>();

    Acceptor(ServerSocket listener, Set<String> peers) {
      this.listener = listener;
      this.peers = peers;
    }

    @Override
    public void run() {
      try {
        while (true) {
          Socket s = listener.accept();
          accepted.add(s);
          peers.add(s.getLocalPort() + "<-" + s.getPort());
        }
      } catch (IOException closed) {
        // The listener was closed at the end of the run.
      }
    }
  }

  static final class Options {
    String api = "socket";
    String source = "127.0.0.1";
    String setup = "bind0";
    int destinations = 10;
    int perDestination = 20;
    int basePort = 20000;
    int explicitPortBase = 40000;
    boolean reuseAddr;
    boolean readPortAfterBind;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--reuseaddr")) {
          o.reuseAddr = true;
          continue;
        }
        if (a.equals("--read-port-after-bind")) {
          o.readPortAfterBind = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw usage("missing value after " + a);
        }
        String v = args[++i];
        switch (a) {
          case "--api":
            o.api = oneOf(a, v, "socket", "channel", "async", "async-handler");
            break;
          case "--source":
            o.source = v;
            break;
          case "--setup":
            o.setup = oneOf(a, v, "bind0", "connect-only", "explicit-port");
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
          case "--explicit-port-base":
            o.explicitPortBase = Integer.parseInt(v);
            break;
          default:
            throw usage("unknown option " + a);
        }
      }
      return o;
    }

    private static String oneOf(String option, String value, String... allowed) {
      for (String ok : allowed) {
        if (ok.equals(value)) {
          return value;
        }
      }
      throw usage(option + " must be one of " + String.join(", ", allowed) + ", not " + value);
    }

    private static IllegalArgumentException usage(String message) {
      return new IllegalArgumentException(message);
    }
  }
}
