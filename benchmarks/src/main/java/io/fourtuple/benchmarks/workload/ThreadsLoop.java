package io.fourtuple.benchmarks.workload;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The throughput workloads of issue 11, one JVM each run: {@code --tasks} virtual threads (JDK 21+)
 * each doing {@code --cycles} × ({@code new Socket}, {@code setSoLinger(true, 0)}, {@code
 * bind(127.0.0.1, 0)}, {@code connect}, {@code close}), then one platform thread doing as many
 * cycles in a row. A platform thread of its own accepts and closes; its backlog (4096) holds every
 * pending connect, so no SYN is ever dropped and retried. {@code SO_LINGER} 0 makes each close a
 * reset: nothing piles up in TIME_WAIT.
 *
 * <p>The virtual threads come from {@code Executors.newVirtualThreadPerTaskExecutor()}, looked up
 * reflectively: this module is Java 8 bytecode, built on JDK 17, and the call is the only JDK 21
 * API it needs. A first pass of {@code --warmup-tasks} tasks (same shape) is not timed.
 *
 * <p>The first cycle of every task, and every {@code --cycles}-th of the single thread, reads the
 * kernel's view of the port right after {@code bind} ({@link KernelView}): the harness checks that
 * it was 0 on every checked socket (enforce, app-set) or on none (no agent, audit). With {@code
 * --app-set} the workload sets {@code IP_BIND_ADDRESS_NO_PORT} itself before each bind ({@link
 * AppSetNoPort}), the same native call the agent makes: the kernel's deferred port choice, without
 * the agent. The read needs the two {@code --add-opens} of the harness, given to every
 * configuration.
 *
 * <pre>
 * java --add-opens java.base/java.net=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
 *     -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.workload.ThreadsLoop \
 *     --tasks 2000 --cycles 50 --warmup-tasks 400
 * </pre>
 *
 * <p>{@code --passes N} (1) times the virtual-thread workload N times in a row in the same JVM;
 * {@code virtualNanos} is the first pass (the workload as issue 11 states it, one-time costs such
 * as the JIT's compiling included), {@code virtualLastNanos} the last.
 *
 * <p>Prints {@code RESULT virtualNanos=T virtualLastNanos=T virtualChecks=C virtualZero=Z
 * singleNanos=T singleChecks=C singleZero=Z errors=E firstError=...}.
 */
public final class ThreadsLoop {
  private final SocketAddress remote;
  private final InetSocketAddress local;
  private final int cycles;
  private final boolean appSetsNoPort;
  private final AtomicLong checks = new AtomicLong();
  private final AtomicLong zero = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile Throwable firstError;

  private ThreadsLoop(
      InetAddress loopback, SocketAddress remote, int cycles, boolean appSetsNoPort) {
    this.local = new InetSocketAddress(loopback, 0);
    this.remote = remote;
    this.cycles = cycles;
    this.appSetsNoPort = appSetsNoPort;
  }

  public static void main(String[] args) throws Exception {
    int tasks = 2000;
    int cycles = 50;
    int warmupTasks = 400;
    boolean appSetsNoPort = false;
    int passes = 1;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--app-set")) {
        appSetsNoPort = true;
        continue;
      }
      int value = Integer.parseInt(args[++i]);
      if (option.equals("--tasks")) {
        tasks = value;
      } else if (option.equals("--cycles")) {
        cycles = value;
      } else if (option.equals("--warmup-tasks")) {
        warmupTasks = value;
      } else if (option.equals("--passes")) {
        passes = value;
      } else {
        throw new IllegalArgumentException("unknown option " + option);
      }
    }
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    final ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(loopback, 0), 4096);
    Thread acceptor =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                try {
                  while (true) {
                    listener.accept().close();
                  }
                } catch (IOException closed) {
                  // the listener closed: the run is over
                }
              }
            },
            "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();

    ThreadsLoop loop =
        new ThreadsLoop(loopback, listener.getLocalSocketAddress(), cycles, appSetsNoPort);
    ExecutorService virtual =
        (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    loop.onVirtualThreads(virtual, warmupTasks);
    loop.reset();
    long virtualNanos = loop.onVirtualThreads(virtual, tasks);
    // Later passes (--passes): the same workload again in the same JVM, once the JIT has compiled
    // what it runs and the agent's one-time set-up is behind it; the last one is reported.
    long virtualLastNanos = virtualNanos;
    for (int pass = 1; pass < passes; pass++) {
      virtualLastNanos = loop.onVirtualThreads(virtual, tasks);
    }
    long virtualChecks = loop.checks.get();
    long virtualZero = loop.zero.get();
    long errors = loop.errors.get();
    virtual.shutdown();

    loop.reset();
    long start = System.nanoTime();
    for (int t = 0; t < tasks; t++) {
      loop.task();
    }
    long singleNanos = System.nanoTime() - start;
    listener.close();
    Throwable first = loop.firstError;
    System.out.println(
        "RESULT virtualNanos="
            + virtualNanos
            + " virtualLastNanos="
            + virtualLastNanos
            + " virtualChecks="
            + virtualChecks
            + " virtualZero="
            + virtualZero
            + " singleNanos="
            + singleNanos
            + " singleChecks="
            + loop.checks.get()
            + " singleZero="
            + loop.zero.get()
            + " errors="
            + (errors + loop.errors.get())
            + " firstError="
            + (first == null ? "none" : first.toString().replace(' ', '_')));
  }

  private void reset() {
    checks.set(0);
    zero.set(0);
  }

  private long onVirtualThreads(ExecutorService virtual, int tasks) throws Exception {
    List<Future<?>> done = new ArrayList<Future<?>>(tasks);
    long start = System.nanoTime();
    for (int t = 0; t < tasks; t++) {
      done.add(
          virtual.submit(
              new Runnable() {
                @Override
                public void run() {
                  task();
                }
              }));
    }
    for (Future<?> f : done) {
      f.get(10, TimeUnit.MINUTES);
    }
    return System.nanoTime() - start;
  }

  private void task() {
    for (int c = 0; c < cycles; c++) {
      try {
        Socket s = new Socket();
        try {
          s.setSoLinger(true, 0);
          if (appSetsNoPort) {
            AppSetNoPort.apply(s);
          }
          s.bind(local);
          if (c == 0) {
            checks.incrementAndGet();
            if (KernelView.localPort(s) == 0) {
              zero.incrementAndGet();
            }
          }
          s.connect(remote);
        } finally {
          s.close();
        }
      } catch (Throwable e) {
        errors.incrementAndGet();
        if (firstError == null) {
          firstError = e;
        }
      }
    }
  }
}
