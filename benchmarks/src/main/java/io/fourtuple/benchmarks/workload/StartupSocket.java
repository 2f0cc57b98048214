package io.fourtuple.benchmarks.workload;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A program whose very first action is a client bind-before-connect: a listener on loopback, then a
 * {@code Socket} bound to (loopback, 0), connected and closed.
 *
 * <p>The proof the harness checks is the local port <em>the kernel</em> reports right after {@code
 * bind}: {@code getsockname} on the socket's descriptor ({@link KernelView#localPortOnce}). 0 means
 * {@code IP_BIND_ADDRESS_NO_PORT} was set before the bind (the kernel defers the choice to {@code
 * connect}), so the agent's hooks were in place before the application's first socket; any other
 * value means a socket bound during startup was missed. It is not {@code getLocalPort()}: the agent
 * gives a deferred socket its port when the application reads it, so that read shows a port either
 * way.
 *
 * <p>The read is the same code with and without the agent: three reflective field reads, one
 * reflective call of the JDK's native, one system call. Its cost is not: on a JVM where nothing has
 * used reflection yet it sets that machinery up (on this project's machine roughly 1 ms on JDK 17,
 * and around 10 ms on JDK 25, where core reflection runs on method handles), while with the agent
 * most of that is done already by the agent's own start. So the program measures the CPU time its
 * thread spends in the read and prints it, and the harness subtracts it from the run's wall time on
 * both sides: what remains is the program without its check. CPU time rather than elapsed time,
 * because a wait inside that window (for a CPU the agent's own threads hold, say) is not the read's
 * and would have fallen elsewhere in the run without it.
 *
 * <p>The read needs {@code java.net} and {@code sun.nio.ch} opened on JDK 9+. The harness starts
 * this program through a launcher jar whose manifest says {@code Add-Opens} (see {@code
 * LauncherJar}) rather than with {@code --add-opens} flags, which on JDK 17 and 25 turn off the
 * class-data-sharing archive's module graph and slow every start, agent or not.
 *
 * <p>Prints one line: {@code RESULT kernelPortAfterBind=0 checkCpuMicros=850 portAfterConnect=41234
 * mainAtMillis=...}, the last read with {@code getLocalPort()} after {@code connect}, as an
 * application would.
 */
public final class StartupSocket {
  private StartupSocket() {}

  public static void main(String[] args) throws Exception {
    long atMain = System.currentTimeMillis(); // time to main: see StartupHello
    InetAddress loopback = InetAddress.getLoopbackAddress();
    ServerSocket listener = new ServerSocket(0, 50, loopback);
    Socket client = new Socket();
    client.bind(new InetSocketAddress(loopback, 0));
    long cpuBefore = threadCpuNanos();
    int kernelPortAfterBind = KernelView.localPortOnce(client);
    long checkCpuNanos = threadCpuNanos() - cpuBefore;
    client.connect(listener.getLocalSocketAddress());
    int portAfterConnect = client.getLocalPort();
    client.close();
    listener.close();
    System.out.println(
        "RESULT kernelPortAfterBind="
            + kernelPortAfterBind
            + " checkCpuMicros="
            + checkCpuNanos / 1000
            + " portAfterConnect="
            + portAfterConnect
            + " mainAtMillis="
            + atMain);
  }

  /**
   * This thread's time on a CPU so far, in nanoseconds: the first field of {@code
   * /proc/thread-self/schedstat} (Linux 3.17+). The kernel brings a running thread's figure up to
   * date only at a scheduler tick (every few milliseconds) or when the thread leaves the CPU, so it
   * yields first ({@code sched_yield} accounts the time run so far). Not {@code ThreadMXBean},
   * whose JMX classes are what a short program's start must not load.
   */
  private static long threadCpuNanos() throws IOException {
    Thread.yield();
    byte[] buffer = new byte[64];
    int length;
    try (InputStream in = new FileInputStream("/proc/thread-self/schedstat")) {
      length = in.read(buffer);
    }
    long nanos = 0;
    for (int i = 0; i < length && buffer[i] >= '0' && buffer[i] <= '9'; i++) {
      nanos = nanos * 10 + (buffer[i] - '0');
    }
    return nanos;
  }
}
