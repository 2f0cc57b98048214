package io.fourtuple.benchmarks.workload;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * The connect-rate workload: one client thread doing {@code bind(127.0.0.1, 0)}, {@code connect} to a
 * listener in the same JVM, {@code close}, as fast as it can; one acceptor thread accepting and closing.
 *
 * <p>The client sets {@code SO_LINGER(true, 0)}: {@code close()} sends RST, so no TIME_WAIT builds up and
 * the ephemeral range never runs out however long the loop runs. Every iteration also reads the local port
 * right after {@code bind}: 0 means {@code IP_BIND_ADDRESS_NO_PORT} was in force for that socket; the
 * harness checks the count against the configuration (all or none).
 *
 * <pre>
 * java [--add-opens ...] -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.workload.ConnectLoop \
 *     --api socket|channel --noport none|app --warmup-ms 2000 --measure-ms 5000
 * </pre>
 *
 * Last line: {@code RESULT connects=N nanos=T rate=R zeroAfterBind=Z errors=E firstError=...}, counting
 * the measured window only.
 */
public final class ConnectLoop {
  private ConnectLoop() {}

  public static void main(String[] args) throws Exception {
    String api = "socket";
    boolean appSetsNoPort = false;
    long warmupMs = 2000;
    long measureMs = 5000;
    for (int i = 0; i < args.length; i += 2) {
      String value = args[i + 1];
      if (args[i].equals("--api")) {
        api = value;
      } else if (args[i].equals("--noport")) {
        appSetsNoPort = value.equals("app");
      } else if (args[i].equals("--warmup-ms")) {
        warmupMs = Long.parseLong(value);
      } else if (args[i].equals("--measure-ms")) {
        measureMs = Long.parseLong(value);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!api.equals("socket") && !api.equals("channel")) {
      throw new IllegalArgumentException("--api must be socket or channel, not " + api);
    }

    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(loopback, 0), 4096);
    Thread acceptor = new Thread(new Acceptor(listener), "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();

    Client client =
        api.equals("channel")
            ? new ChannelClient(loopback, listener.getLocalSocketAddress(), appSetsNoPort)
            : new SocketClient(loopback, listener.getLocalSocketAddress(), appSetsNoPort);

    long start = System.nanoTime();
    long warmupEnd = start + warmupMs * 1_000_000L;
    while (System.nanoTime() < warmupEnd) {
      client.once();
    }
    client.reset();
    long measureStart = System.nanoTime();
    long measureEnd = measureStart + measureMs * 1_000_000L;
    long now;
    do {
      client.once();
      now = System.nanoTime();
    } while (now < measureEnd);
    long nanos = now - measureStart;
    listener.close();
    System.out.println(
        "RESULT connects="
            + client.connects
            + " nanos="
            + nanos
            + " rate="
            + (long) (client.connects * 1e9 / nanos)
            + " zeroAfterBind="
            + client.zeroAfterBind
            + " errors="
            + client.errors
            + " firstError="
            + (client.firstError == null ? "-" : client.firstError.toString().replace(' ', '_')));
  }

  private abstract static class Client {
    final InetSocketAddress local;
    final SocketAddress remote;
    final boolean appSetsNoPort;
    long connects;
    long zeroAfterBind;
    long errors;
    Throwable firstError;

    Client(InetAddress loopback, SocketAddress remote, boolean appSetsNoPort) {
      this.local = new InetSocketAddress(loopback, 0);
      this.remote = remote;
      this.appSetsNoPort = appSetsNoPort;
    }

    final void once() {
      try {
        if (connectOnce() == 0) {
          zeroAfterBind++;
        }
        connects++;
      } catch (Throwable t) {
        errors++;
        if (firstError == null) {
          firstError = t;
        }
      }
    }

    final void reset() {
      connects = 0;
      zeroAfterBind = 0;
      errors = 0;
      firstError = null;
    }

    /** One bind + connect + close; returns the local port read right after bind. */
    abstract int connectOnce() throws Throwable;
  }

  private static final class SocketClient extends Client {
    SocketClient(InetAddress loopback, SocketAddress remote, boolean appSetsNoPort) {
      super(loopback, remote, appSetsNoPort);
    }

    @Override
    int connectOnce() throws Throwable {
      Socket s = new Socket();
      try {
        s.setSoLinger(true, 0); // also creates the descriptor, which AppSetNoPort needs
        if (appSetsNoPort) {
          AppSetNoPort.apply(s);
        }
        s.bind(local);
        int portAfterBind = s.getLocalPort();
        s.connect(remote);
        return portAfterBind;
      } finally {
        s.close();
      }
    }
  }

  private static final class ChannelClient extends Client {
    ChannelClient(InetAddress loopback, SocketAddress remote, boolean appSetsNoPort) {
      super(loopback, remote, appSetsNoPort);
    }

    @Override
    int connectOnce() throws Throwable {
      SocketChannel ch = SocketChannel.open();
      try {
        ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        if (appSetsNoPort) {
          AppSetNoPort.apply(ch);
        }
        ch.bind(local);
        int portAfterBind = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        ch.connect(remote);
        return portAfterBind;
      } finally {
        ch.close();
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
      while (true) {
        try {
          listener.accept().close();
        } catch (IOException e) {
          if (listener.isClosed()) {
            return;
          }
        }
      }
    }
  }
}
