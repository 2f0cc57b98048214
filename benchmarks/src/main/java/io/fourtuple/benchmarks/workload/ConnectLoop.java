package io.fourtuple.benchmarks.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The connect-rate workload: {@code bind(127.0.0.1, 0)}, {@code connect} to a listener in the same
 * JVM, {@code close}, as fast as it can, on one thread. The listener accepts and closes each
 * connection: by default on the same thread right after {@code connect} ({@code --acceptor
 * inline}), or on a thread of its own ({@code --acceptor thread}). Inline is the default because on
 * a small machine a second busy thread adds its own scheduling noise (cross-CPU wake-ups,
 * competition with the JIT) to a comparison that looks for differences of a few percent.
 *
 * <p>The client sets {@code SO_LINGER(true, 0)}: {@code close()} sends RST, so no TIME_WAIT builds
 * up and the ephemeral range never runs out however long the loop runs. Every iteration also asks
 * the kernel for the socket's local port right after {@code bind} ({@link KernelView}: {@code
 * getsockname} on the descriptor, not the application's {@code getLocalPort}, which would make the
 * agent give the socket its port): 0 means {@code IP_BIND_ADDRESS_NO_PORT} was in force for that
 * socket; the harness checks the count against the configuration (all or none). That read needs
 * {@code --add-opens} on JDK 9+ in every configuration, with or without the agent.
 *
 * <pre>
 * java --add-opens java.base/java.net=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
 *     -cp fourtuple-benchmarks.jar \
 *     io.fourtuple.benchmarks.workload.ConnectLoop --api socket|channel|async --noport none|app \
 *     --acceptor inline|thread [--warmup-ms 2000 --measure-ms 5000 | --serve]
 * </pre>
 *
 * Standalone, it warms up, measures one window and prints {@code RESULT connects=N nanos=T rate=R
 * kernelZeroAfterBind=Z errors=E selfCpu=C otherCpu=O stealCpu=S firstError=...} for that window;
 * the CPU figures are in CPUs' worth (see {@link CpuSample}). With {@code --serve} it prints {@code
 * READY} and then answers requests on standard input, one line each: {@code WARMUP ms} (answer
 * {@code OK}), {@code RUN ms} (answer {@code SLICE} and the same fields), {@code EXIT}.
 */
public final class ConnectLoop {
  private ConnectLoop() {}

  public static void main(String[] args) throws Throwable {
    String api = "socket";
    boolean appSetsNoPort = false;
    boolean acceptInline = true;
    long warmupMs = 2000;
    long measureMs = 5000;
    boolean serve = false;
    for (int i = 0; i < args.length; i += 2) {
      if (args[i].equals("--serve")) {
        serve = true;
        i--;
        continue;
      }
      String value = args[i + 1];
      if (args[i].equals("--api")) {
        api = value;
      } else if (args[i].equals("--noport")) {
        appSetsNoPort = value.equals("app");
      } else if (args[i].equals("--acceptor")) {
        acceptInline = value.equals("inline");
      } else if (args[i].equals("--warmup-ms")) {
        warmupMs = Long.parseLong(value);
      } else if (args[i].equals("--measure-ms")) {
        measureMs = Long.parseLong(value);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!api.equals("socket") && !api.equals("channel") && !api.equals("async")) {
      throw new IllegalArgumentException("--api must be socket, channel or async, not " + api);
    }

    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(loopback, 0), 4096);
    if (!acceptInline) {
      Thread acceptor = new Thread(new Acceptor(listener), "acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    Client client;
    if (api.equals("async")) {
      client = new AsyncClient(loopback, listener, appSetsNoPort, acceptInline);
    } else if (api.equals("channel")) {
      client = new ChannelClient(loopback, listener, appSetsNoPort, acceptInline);
    } else {
      client = new SocketClient(loopback, listener, appSetsNoPort, acceptInline);
    }

    // One iteration outside any window: a JVM that cannot read the kernel's view (no --add-opens)
    // stops here with the reason instead of counting an error per iteration.
    client.connectOnce();
    if (serve) {
      serve(client);
    } else {
      client.runFor(warmupMs);
      System.out.println("RESULT " + client.runFor(measureMs));
    }
    listener.close();
  }

  /**
   * Runs slices on request, so that the harness can interleave several configurations in time: each
   * request names a duration; the answer is one line. An idle JVM blocks in {@code readLine} and
   * uses no CPU.
   */
  private static void serve(Client client) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    System.out.println("READY");
    System.out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      String[] request = line.trim().split(" ");
      if (request[0].equals("WARMUP")) {
        client.runFor(Long.parseLong(request[1]));
        System.out.println("OK");
      } else if (request[0].equals("RUN")) {
        System.out.println("SLICE " + client.runFor(Long.parseLong(request[1])));
      } else if (request[0].equals("EXIT")) {
        return;
      } else {
        System.out.println("ERROR unknown request " + line);
      }
      System.out.flush();
    }
  }

  private abstract static class Client {
    final InetSocketAddress local;
    final SocketAddress remote;
    final boolean appSetsNoPort;
    final ServerSocket inlineListener; // null: the acceptor thread accepts
    long connects;
    long kernelZeroAfterBind;
    long errors;
    Throwable firstError;

    Client(InetAddress loopback, ServerSocket listener, boolean appSetsNoPort, boolean inline) {
      this.local = new InetSocketAddress(loopback, 0);
      this.remote = listener.getLocalSocketAddress();
      this.appSetsNoPort = appSetsNoPort;
      this.inlineListener = inline ? listener : null;
    }

    /**
     * On loopback the handshake is complete when {@code connect} returns, so the accepted socket is
     * already queued; closing it first sends FIN, and the client's RST then ends both sides.
     */
    final void acceptInline() throws IOException {
      if (inlineListener != null) {
        inlineListener.accept().close();
      }
    }

    final void once() {
      try {
        if (connectOnce() == 0) {
          kernelZeroAfterBind++;
        }
        connects++;
      } catch (Throwable t) {
        errors++;
        if (firstError == null) {
          firstError = t;
        }
      }
    }

    /** Loops for {@code millis} and describes what happened in that window alone. */
    final String runFor(long millis) {
      connects = 0;
      kernelZeroAfterBind = 0;
      errors = 0;
      firstError = null;
      CpuSample cpuStart = CpuSample.now();
      long start = System.nanoTime();
      long end = start + millis * 1_000_000L;
      long now;
      do {
        once();
        now = System.nanoTime();
      } while (now < end);
      long nanos = now - start;
      CpuSample cpuEnd = CpuSample.now();
      return "connects="
          + connects
          + " nanos="
          + nanos
          + " rate="
          + (long) (connects * 1e9 / nanos)
          + " kernelZeroAfterBind="
          + kernelZeroAfterBind
          + " errors="
          + errors
          + " selfCpu="
          + CpuSample.selfCores(cpuStart, cpuEnd)
          + " otherCpu="
          + CpuSample.otherCores(cpuStart, cpuEnd)
          + " stealCpu="
          + CpuSample.stealCores(cpuStart, cpuEnd)
          + " firstError="
          + (firstError == null ? "-" : firstError.toString().replace(' ', '_'));
    }

    /**
     * One bind + connect + close; returns the local port the kernel reports right after bind (0:
     * deferred to connect).
     */
    abstract int connectOnce() throws Throwable;
  }

  private static final class SocketClient extends Client {
    SocketClient(
        InetAddress loopback, ServerSocket listener, boolean appSetsNoPort, boolean inline) {
      super(loopback, listener, appSetsNoPort, inline);
    }

    @Override
    int connectOnce() throws Throwable {
      return socketCycle(local, remote, inlineListener, appSetsNoPort, true);
    }
  }

  /**
   * One {@code java.net.Socket} cycle: {@code setSoLinger(true, 0)}, bind, connect, close; the
   * listener (if not null) accepts and closes on this thread. Returns the local port the kernel
   * reports right after bind when {@code readKernel} (0: deferred to connect), else -1. Shared with
   * {@link HookCost}, which leaves the kernel read out of the measured cycle.
   */
  static int socketCycle(
      InetSocketAddress local,
      SocketAddress remote,
      ServerSocket listener,
      boolean appSetsNoPort,
      boolean readKernel)
      throws Throwable {
    Socket s = new Socket();
    try {
      s.setSoLinger(true, 0); // also creates the descriptor, which AppSetNoPort needs
      if (appSetsNoPort) {
        AppSetNoPort.apply(s);
      }
      s.bind(local);
      int portAfterBind = readKernel ? KernelView.localPort(s) : -1;
      s.connect(remote);
      if (listener != null) {
        listener.accept().close();
      }
      return portAfterBind;
    } finally {
      s.close();
    }
  }

  private static final class ChannelClient extends Client {
    ChannelClient(
        InetAddress loopback, ServerSocket listener, boolean appSetsNoPort, boolean inline) {
      super(loopback, listener, appSetsNoPort, inline);
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
        int portAfterBind = KernelView.localPort(ch);
        ch.connect(remote);
        acceptInline();
        return portAfterBind;
      } finally {
        ch.close();
      }
    }
  }

  /**
   * {@code AsynchronousSocketChannel} through the {@code Future} form of connect. The channel
   * rejects SO_LINGER, so it is the accepting side that closes with RST ({@link #acceptAndReset})
   * and no TIME_WAIT builds up on either side.
   */
  private static final class AsyncClient extends Client {
    AsyncClient(
        InetAddress loopback, ServerSocket listener, boolean appSetsNoPort, boolean inline) {
      super(loopback, listener, appSetsNoPort, inline);
    }

    @Override
    int connectOnce() throws Throwable {
      AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
      try {
        if (appSetsNoPort) {
          AppSetNoPort.apply(ch);
        }
        ch.bind(local);
        int portAfterBind = KernelView.localPort(ch);
        ch.connect(remote).get();
        if (inlineListener != null) {
          acceptAndReset(inlineListener);
        }
        return portAfterBind;
      } finally {
        ch.close();
      }
    }
  }

  static void acceptAndReset(ServerSocket listener) throws IOException {
    Socket accepted = listener.accept();
    accepted.setSoLinger(true, 0);
    accepted.close();
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
