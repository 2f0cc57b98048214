package io.fourtuple.benchmarks.attach;

import io.fourtuple.benchmarks.Jdk;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark: how long {@code attach} and {@code detach} take against a running JVM, measured from
 * the command line ({@code java -jar fourtuple-agent.jar attach|detach <pid> --timing}).
 *
 * <p>Per run a fresh {@link AttachTarget} JVM is started and warmed for a moment; then attach, a
 * pause, detach, and the JVM is stopped. Three numbers per operation: the agent's own time inside
 * the target (its reply says "in N ms"), the attach round trip the command line measures around the
 * JDK attach API (session + {@code loadAgent}, which returns after the agent's {@code agentmain}),
 * and the wall time of the whole command including the command line's own JVM start. The goals
 * apply to the round trip: what an operator waits for once the tool runs, on JDK 17: attach at most
 * 1 s, detach at most 0.3 s.
 *
 * <p>Checks, without which no number is trusted, on the local port the kernel reports for the
 * target's socket right after bind ({@code getsockname}, not the application's {@code
 * getLocalPort()}, which would make the agent give the socket its port): before attach a real port;
 * after attach 0 (IP_BIND_ADDRESS_NO_PORT set: the hooks work); after detach a real port again (the
 * original bytecode runs). The target gets the {@code --add-opens} that read needs on JDK 9+.
 *
 * <pre>
 * java -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.attach.AttachBenchmark
 *     [--agent PATH] [--jdk JAVA_HOME (target, default JDK 17)] [--runs 10]
 * </pre>
 *
 * Exit status: 0 goals met, 3 a goal missed, 1 a run or check failed, 2 bad usage.
 */
public final class AttachBenchmark {
  static final double ATTACH_GOAL_MILLIS = 1000;
  static final double DETACH_GOAL_MILLIS = 300;

  private static final Pattern TIMING =
      Pattern.compile("timing: (\\w+) attach=([0-9.]+)ms load=([0-9.]+)ms total=([0-9.]+)ms");
  private static final Pattern IN_TARGET = Pattern.compile(" in (\\d+) ms");
  private static final Pattern TICK = Pattern.compile("TICK (\\d+) kernelPortAfterBind=(\\d+)");

  private AttachBenchmark() {}

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (Failure f) {
      System.out.flush();
      System.err.println("BENCHMARK FAILED: " + f.getMessage());
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    String agent = null;
    String jdk = "/usr/lib/jvm/java-17-openjdk-amd64";
    int runs = 10;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        usage(args[i] + " needs a value");
      }
      if (args[i].equals("--agent")) {
        agent = args[i + 1];
      } else if (args[i].equals("--jdk")) {
        jdk = args[i + 1];
      } else if (args[i].equals("--runs")) {
        runs = Integer.parseInt(args[i + 1]);
      } else {
        usage("unknown option " + args[i]);
      }
    }
    File ownJar =
        new File(AttachBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    File agentJar =
        agent != null
            ? new File(agent)
            : new File(
                ownJar.getAbsoluteFile().getParentFile().getParentFile(),
                "../agent/target/fourtuple-agent.jar");
    agentJar = agentJar.getCanonicalFile();
    if (!agentJar.isFile()) {
      System.err.println("no agent jar at " + agentJar);
      System.exit(1);
    }
    Jdk targetJdk;
    try {
      targetJdk = Jdk.at(jdk);
    } catch (RuntimeException e) {
      usage(e.getMessage());
      return;
    }
    String cliJava = System.getProperty("java.home") + "/bin/java";
    System.out.println("fourtuple attach benchmark");
    System.out.printf(
        Locale.ROOT,
        "  machine: %d CPUs, %s %s; command line on %s (%s); target JDK %s; %d runs%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("java.version"),
        cliJava,
        jdk,
        runs);

    List<double[]> attach = new ArrayList<double[]>();
    List<double[]> detach = new ArrayList<double[]>();
    for (int run = 1; run <= runs; run++) {
      Target target = Target.start(targetJdk, ownJar);
      try {
        target.awaitTick(20, false);
        double[] a = command(cliJava, agentJar, "attach", target.pid);
        target.awaitTick(40, true);
        double[] d = command(cliJava, agentJar, "detach", target.pid);
        target.awaitTick(40, false);
        attach.add(a);
        detach.add(d);
        System.out.printf(
            Locale.ROOT,
            "  run %2d: attach in-target %4.0f ms, round trip %5.1f ms, command %6.1f ms | detach"
                + " in-target %3.0f ms, round trip %5.1f ms, command %6.1f ms%n",
            run,
            a[0],
            a[1],
            a[2],
            d[0],
            d[1],
            d[2]);
      } finally {
        target.stop();
      }
    }
    System.out.println();
    System.out.println("Medians (max) over " + runs + " runs, target " + jdk);
    boolean missed = false;
    missed |= verdict("attach", attach, ATTACH_GOAL_MILLIS);
    missed |= verdict("detach", detach, DETACH_GOAL_MILLIS);
    System.exit(missed ? 3 : 0);
  }

  private static boolean verdict(String what, List<double[]> samples, double goal) {
    double inTarget = median(samples, 0);
    double roundTrip = median(samples, 1);
    double whole = median(samples, 2);
    boolean met = roundTrip <= goal;
    System.out.printf(
        Locale.ROOT,
        "  %s: in target %.0f ms (max %.0f), attach API round trip %.1f ms (max %.1f), whole"
            + " command %.1f ms (max %.1f)   goal round trip <= %.0f ms: %s%n",
        what,
        inTarget,
        max(samples, 0),
        roundTrip,
        max(samples, 1),
        whole,
        max(samples, 2),
        goal,
        met ? "MET" : "MISSED");
    return !met;
  }

  /** Runs the command line; returns {in-target ms, round-trip ms, wall ms}. */
  private static double[] command(String java, File agentJar, String what, String pid)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p =
        new ProcessBuilder(java, "-jar", agentJar.getPath(), what, pid, "--timing")
            .redirectErrorStream(true)
            .start();
    String out = readAll(p);
    int exit = p.waitFor();
    double wall = (System.nanoTime() - start) / 1e6;
    Matcher timing = TIMING.matcher(out);
    Matcher inTarget = IN_TARGET.matcher(out);
    if (exit != 0 || !timing.find() || !inTarget.find()) {
      fail(what + " failed (exit " + exit + "):\n" + out);
    }
    return new double[] {
      Double.parseDouble(inTarget.group(1)), Double.parseDouble(timing.group(4)), wall
    };
  }

  private static String readAll(Process p) throws IOException {
    StringBuilder out = new StringBuilder();
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null) {
      out.append(line).append('\n');
    }
    return out.toString();
  }

  private static double median(List<double[]> samples, int index) {
    List<Double> v = new ArrayList<Double>();
    for (double[] s : samples) {
      v.add(s[index]);
    }
    Collections.sort(v);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  private static double max(List<double[]> samples, int index) {
    double m = 0;
    for (double[] s : samples) {
      m = Math.max(m, s[index]);
    }
    return m;
  }

  /** Ends the benchmark: the target of the current run is stopped on the way out. */
  static void fail(String message) {
    throw new Failure(message);
  }

  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  private static void usage(String message) {
    System.err.println("usage error: " + message);
    System.exit(2);
  }

  /** A running {@link AttachTarget} whose TICK lines are read as they come. */
  static final class Target {
    final Process process;
    final String pid;
    final BufferedReader lines;

    private Target(Process process, String pid, BufferedReader lines) {
      this.process = process;
      this.pid = pid;
      this.lines = lines;
    }

    static Target start(Jdk jdk, File benchmarksJar) throws IOException, URISyntaxException {
      List<String> command = new ArrayList<String>();
      command.add(jdk.java());
      command.addAll(jdk.openInternals());
      command.addAll(Arrays.asList("-cp", benchmarksJar.getPath(), AttachTarget.class.getName()));
      Process p =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.to(new File("/dev/null")))
              .start();
      final Process started = p;
      // A failed check must not leave the target running (it would also hold this process's
      // stderr).
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread() {
                @Override
                public void run() {
                  started.destroy();
                }
              });
      BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String first = r.readLine();
      if (!"READY".equals(first)) {
        fail("target did not start: " + first);
      }
      String pid;
      try {
        pid = String.valueOf(Process.class.getMethod("pid").invoke(p));
      } catch (ReflectiveOperationException java8) {
        throw new IllegalStateException("run the harness on JDK 9 or later");
      }
      return new Target(p, pid, r);
    }

    /**
     * Reads ticks until one shows the expected state ({@code zero}: the kernel's port 0 after
     * bind), within {@code limit} ticks after the first one read; fails the benchmark otherwise.
     */
    void awaitTick(int limit, boolean zero) throws IOException {
      for (int i = 0; i < limit; i++) {
        String line = lines.readLine();
        if (line == null) {
          fail("target ended");
        }
        Matcher m = TICK.matcher(line);
        if (m.matches() && (Integer.parseInt(m.group(2)) == 0) == zero) {
          return;
        }
      }
      fail(
          "after "
              + limit
              + " ticks the target still did not "
              + (zero
                  ? "have port 0 in the kernel after bind (attach did not take effect)"
                  : "have a real port in the kernel after bind (the original code is not back)"));
    }

    void stop() throws InterruptedException {
      process.destroy();
      process.waitFor();
    }
  }
}
