package io.fourtuple.samples;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Two services that share a source address and a backend, for per-JVM port slices ({@code
 * fourtuple.ports.slice}). Modes:
 *
 * <pre>
 * PortSlices apis --port 7000 --per-api 3     every API, connections held open; prints their ports
 * PortSlices server --port 7000               a backend that closes first (the client keeps no TIME_WAIT)
 * PortSlices churn --port 7000 --seconds 30   short connections closed by the client (TIME_WAIT)
 * PortSlices steady --port 7000 --seconds 30 --rate 20   request/response connections the server closes
 * </pre>
 *
 * {@code apis}: a listener on 127.0.0.1:port in this JVM, then {@code --per-api} connections each
 * from {@code Socket} (connect without bind), {@code Socket} bound to port 0, {@code
 * SocketChannel}, {@code SocketChannel} bound to port 0 and {@code AsynchronousSocketChannel}, all
 * held open; a line {@code PORTS api p1 p2 ...} per API and {@code RESULT connected=N failed=F
 * low=L high=H}. {@code churn} and {@code steady} print {@code RESULT attempts=N ok=K failed=F}
 * and, for the churner, its first failure as {@code CHURN exhausted} on stdout as soon as it
 * happens.
 */
public final class PortSlices {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private PortSlices() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new TreeMap<String, String>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    int port = Integer.parseInt(value(options, "port", "7000"));
    double seconds = Double.parseDouble(value(options, "seconds", "30"));
    String mode = args.length == 0 ? "apis" : args[0];
    if (mode.equals("apis")) {
      apis(port, Integer.parseInt(value(options, "per-api", "3")));
    } else if (mode.equals("server")) {
      server(port);
    } else if (mode.equals("churn")) {
      churn(port, seconds);
    } else if (mode.equals("steady")) {
      steady(port, seconds, Double.parseDouble(value(options, "rate", "20")));
    } else {
      throw new IllegalArgumentException("mode: apis, server, churn or steady");
    }
  }

  private static String value(Map<String, String> options, String key, String fallback) {
    String v = options.get(key);
    return v == null ? fallback : v;
  }

  private static void apis(int port, int perApi) throws Exception {
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(LOOPBACK, port), 200);
    InetSocketAddress remote = new InetSocketAddress(LOOPBACK, port);
    List<Closeable> held = new ArrayList<Closeable>();
    int connected = 0;
    int failed = 0;
    int low = Integer.MAX_VALUE;
    int high = 0;
    for (String api :
        new String[] {"socket", "socket-bind0", "channel", "channel-bind0", "async"}) {
      StringBuilder ports = new StringBuilder("PORTS " + api);
      for (int i = 0; i < perApi; i++) {
        try {
          int local = connect(api, remote, held);
          ports.append(' ').append(local);
          low = Math.min(low, local);
          high = Math.max(high, local);
          connected++;
        } catch (IOException e) {
          ports.append(" failed(").append(e.getMessage()).append(')');
          failed++;
        }
      }
      System.out.println(ports);
    }
    System.out.println(
        "RESULT connected=" + connected + " failed=" + failed + " low=" + low + " high=" + high);
    for (Closeable c : held) {
      c.close();
    }
    listener.close();
  }

  /** One connection by {@code api}, held in {@code held}; its local port. */
  private static int connect(String api, InetSocketAddress remote, List<Closeable> held)
      throws Exception {
    if (api.startsWith("socket")) {
      Socket s = new Socket();
      held.add(s);
      if (api.endsWith("bind0")) {
        s.bind(new InetSocketAddress(LOOPBACK, 0));
      }
      s.connect(remote, 5000);
      return s.getLocalPort();
    }
    if (api.startsWith("channel")) {
      SocketChannel c = SocketChannel.open();
      held.add(c);
      if (api.endsWith("bind0")) {
        c.bind(new InetSocketAddress(LOOPBACK, 0));
      }
      c.connect(remote);
      return ((InetSocketAddress) c.getLocalAddress()).getPort();
    }
    AsynchronousSocketChannel a = AsynchronousSocketChannel.open();
    held.add(a);
    try {
      a.connect(remote).get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IOException
          ? (IOException) e.getCause()
          : new IOException(e.getCause());
    }
    return ((InetSocketAddress) a.getLocalAddress()).getPort();
  }

  /** Reads one byte, answers it and closes first, so the client's side ends without TIME_WAIT. */
  private static void server(int port) throws IOException {
    final ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(LOOPBACK, port), 1000);
    System.out.println("LISTENING " + port);
    while (true) {
      final Socket s = listener.accept();
      Thread t =
          new Thread(
              new Runnable() {
                @Override
                public void run() {
                  try {
                    InputStream in = s.getInputStream();
                    if (in.read() >= 0) {
                      s.getOutputStream().write(1);
                    }
                  } catch (IOException ignored) {
                    // the client went away
                  } finally {
                    try {
                      s.close();
                    } catch (IOException ignored) {
                      // closing anyway
                    }
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }
  }

  /** Connect and close at once, as fast as it goes: every port it gets stays in TIME_WAIT 60 s. */
  private static void churn(int port, double seconds) {
    InetSocketAddress remote = new InetSocketAddress(LOOPBACK, port);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long attempts = 0;
    long ok = 0;
    boolean exhausted = false;
    while (System.nanoTime() < end) {
      attempts++;
      Socket s = new Socket();
      try {
        s.connect(remote, 5000);
        ok++;
      } catch (IOException e) {
        if (!exhausted) {
          exhausted = true;
          System.out.println("CHURN exhausted after " + ok + " connections: " + e.getMessage());
        }
        pause(1); // the range is full: retry every millisecond, as a busy client would
      } finally {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
    System.out.println("RESULT attempts=" + attempts + " ok=" + ok + " failed=" + (attempts - ok));
  }

  /** One request/response connection every 1/rate s, which the server closes. */
  private static void steady(int port, double seconds, double rate) {
    InetSocketAddress remote = new InetSocketAddress(LOOPBACK, port);
    long start = System.nanoTime();
    long attempts = Math.round(seconds * rate);
    long ok = 0;
    Map<String, Integer> errors = new TreeMap<String, Integer>();
    for (long i = 0; i < attempts; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        pause(wait / 1_000_000);
      }
      Socket s = new Socket();
      try {
        s.connect(remote, 5000);
        OutputStream out = s.getOutputStream();
        out.write(1);
        if (s.getInputStream().read() == 1 && s.getInputStream().read() < 0) {
          ok++;
        }
      } catch (IOException e) {
        String key = String.valueOf(e.getMessage()).replace(' ', '_');
        Integer n = errors.get(key);
        errors.put(key, n == null ? 1 : n + 1);
      } finally {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
    System.out.println("ERRORS " + errors);
    System.out.println(
        "RESULT attempts="
            + attempts
            + " ok="
            + ok
            + " failed="
            + (attempts - ok)
            + " successPercent="
            + String.format(java.util.Locale.ROOT, "%.2f", 100.0 * ok / Math.max(1, attempts)));
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
