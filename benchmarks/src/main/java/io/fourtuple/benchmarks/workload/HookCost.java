package io.fourtuple.benchmarks.workload;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JMH benchmark of the hooks' cost: time per operation in a fork without the agent, with it in
 * audit and enforce mode (ledger on, the default), and with the application setting {@code
 * IP_BIND_ADDRESS_NO_PORT} itself ({@code -Dbench.noport=app}), which is what enforce must be
 * compared with: deferring the port changes what {@code bind} and {@code connect} do in the kernel.
 * The harness ({@code HotPathBenchmark}) starts the forks and subtracts.
 *
 * <p>The properties are not named {@code fourtuple.*}: the agent rejects keys of its own prefix
 * that it does not know, and would not start.
 *
 * <p>{@link #connectCycle} is the throughput workloads' loop body: {@code new Socket}, {@code
 * setSoLinger(true, 0)} (close then resets: no TIME_WAIT piles up however long it runs), {@code
 * bind(loopback, 0)}, {@code connect} to a listener of this fork, which accepts and closes on the
 * same thread, {@code close}. {@link #setSoLinger} is one call on a socket that stays open.
 *
 * <p>The numbers are trusted only if each fork did what its configuration claims: after every
 * iteration one more cycle reads the kernel's own view of the port right after {@code bind} ({@link
 * KernelView}, not {@code getLocalPort()}, which would make the agent give the socket its port): 0
 * where {@code -Dbench.expect=noport}, a real port otherwise. A mismatch fails the fork, and the
 * harness runs JMH with fail-on-error. The read needs the two {@code --add-opens} of {@code
 * Jdk.openInternals()}, which every configuration gets.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HookCost {
  private final boolean appSetsNoPort = "app".equals(System.getProperty("bench.noport"));
  private final boolean expectDeferred = "noport".equals(System.getProperty("bench.expect"));
  private final InetSocketAddress local =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  private ServerSocket listener;
  private SocketAddress remote;
  private Socket lingering;

  @Setup(Level.Trial)
  public void open() throws IOException {
    listener = new ServerSocket();
    listener.bind(local, 4096);
    remote = listener.getLocalSocketAddress();
    lingering = new Socket();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    lingering.close();
    listener.close();
  }

  @Benchmark
  public void connectCycle() throws Throwable {
    cycle(false);
  }

  @Benchmark
  public void setSoLinger() throws IOException {
    lingering.setSoLinger(true, 0);
  }

  @TearDown(Level.Iteration)
  public void checkKernelView() throws Throwable {
    int port = cycle(true);
    if ((port == 0) != expectDeferred) {
      throw new IllegalStateException(
          "kernel port right after bind was "
              + port
              + (expectDeferred
                  ? ": IP_BIND_ADDRESS_NO_PORT was not applied"
                  : ": something applied IP_BIND_ADDRESS_NO_PORT in a configuration that must not"));
    }
  }

  private int cycle(boolean readKernel) throws Throwable {
    return ConnectLoop.socketCycle(local, remote, listener, appSetsNoPort, readKernel);
  }
}
