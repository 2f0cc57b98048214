package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running sample app ({@code LegacyService}) in a child JVM inside its own network namespace
 * with the 10-port range, whose output is read live, so a test can attach to it, detach from it and
 * watch what the kernel let it do in between. {@link #close()} kills it.
 */
final class ServiceJvm implements AutoCloseable {
  private static final Pattern CAPACITY = Pattern.compile("^CAPACITY cycle=(\\d+) held=(\\d+) .*");
  private static final int READY_SECONDS = 30;
  private static final Pattern PORTS_IN_USE = Pattern.compile(" portsInUseAtRefill=(-?\\d+) ");

  final Jdk jdk;
  final Process process;
  private final List<String> stdout = new ArrayList<>();
  private final List<String> stderr = new ArrayList<>();
  private final String command;

  /**
   * Started with {@code --hold stdin}: each cycle holds its connections until {@link #release()}.
   */
  private final boolean stepped;

  /** Holds released so far (stepped only). */
  private int released;

  private ServiceJvm(Jdk jdk, Process process, String command, boolean stepped) {
    this.jdk = jdk;
    this.process = process;
    this.command = command;
    this.stepped = stepped;
    pump(process.getInputStream(), stdout, "stdout");
    pump(process.getErrorStream(), stderr, "stderr");
  }

  /**
   * Starts {@code LegacyService} with {@code args} on {@code jdk} (with extra JVM options first).
   */
  static ServiceJvm start(Jdk jdk, List<String> jvmArgs, String... args) throws IOException {
    return start(jdk, false, READY_SECONDS, jvmArgs, args);
  }

  /**
   * Like {@link #start(Jdk, List, String...)}, waiting up to {@code readySeconds} for {@code
   * READY}: for JVM options that make the start slow (another agent that instruments the JDK at
   * startup).
   */
  static ServiceJvm start(Jdk jdk, int readySeconds, List<String> jvmArgs, String... args)
      throws IOException {
    return start(jdk, false, readySeconds, jvmArgs, args);
  }

  /**
   * Like {@link #start(Jdk, List, String...)}, in a container-like mount namespace as well: a
   * private {@code /tmp} (where the JVM keeps its attach socket and hsperfdata) and the agent's
   * build directory hidden, so the command line must reach the JVM's files through {@code
   * /proc/<pid>/root}.
   */
  static ServiceJvm startInMountNamespace(Jdk jdk, String... args) throws IOException {
    return start(jdk, true, READY_SECONDS, List.of(), args);
  }

  private static ServiceJvm start(
      Jdk jdk, boolean ownMounts, int readySeconds, List<String> jvmArgs, String... args)
      throws IOException {
    ChildJvm.on(jdk); // skips the test, saying why, without root or without this JDK
    String samples = ChildJvm.SAMPLES.toAbsolutePath().toString();
    String setup =
        "ip link set lo up && echo '"
            + ChildJvm.RANGE_LOW
            + " "
            + ChildJvm.RANGE_HIGH
            + "' > /proc/sys/net/ipv4/ip_local_port_range";
    if (ownMounts) {
      // The jar is staged outside /tmp first and the agent's directory hidden before /tmp is
      // replaced:
      // the checkout itself may live under /tmp (CI clones there).
      setup +=
          " && stage=$(mktemp /dev/shm/fourtuple-app.XXXXXX) && cp '"
              + samples
              + "' \"$stage\" && mount -t tmpfs tmpfs '"
              + ChildJvm.AGENT.toAbsolutePath().normalize().getParent()
              + "' && mount -t tmpfs tmpfs /tmp && cp \"$stage\" /tmp/app.jar && rm -f \"$stage\"";
      samples = "/tmp/app.jar";
    }
    List<String> cmd = new ArrayList<>();
    if (ownMounts) {
      // Its own pid namespace too, as in a container: the JDK's attach client looks for the JVM's
      // files under /proc/<pid>/root only when the pid namespaces differ.
      cmd.addAll(List.of("unshare", "-mnp", "--fork", "sh", "-c", setup + " && exec \"$@\"", "sh"));
    } else {
      cmd.addAll(List.of("unshare", "-n", "sh", "-c", setup + " && exec \"$@\"", "sh"));
    }
    cmd.add(jdk.java().toString());
    cmd.addAll(jdk.extraJvmArgs());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(samples);
    cmd.add("io.fourtuple.samples.LegacyService");
    cmd.addAll(List.of(args));
    return launch(jdk, cmd, ownMounts, readySeconds);
  }

  /**
   * Starts {@code command}, which ends with the JVM's command line (the caller built the namespaces
   * around it), and waits for {@code READY}. With {@code ownPidNamespace} the JVM is the started
   * process's child ({@code unshare --fork}), as pid 1 of its namespace.
   */
  static ServiceJvm launch(Jdk jdk, List<String> command, boolean ownPidNamespace)
      throws IOException {
    return launch(jdk, command, ownPidNamespace, READY_SECONDS);
  }

  private static ServiceJvm launch(
      Jdk jdk, List<String> command, boolean ownPidNamespace, int readySeconds) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("FOURTUPLE_") || k.startsWith("JAVA_TOOL"));
    boolean stepped = String.join(" ", command).contains("--hold stdin");
    ServiceJvm service = new ServiceJvm(jdk, builder.start(), String.join(" ", command), stepped);
    service.awaitLine(l -> l.startsWith("READY "), readySeconds);
    if (ownPidNamespace) {
      // unshare --fork runs the JVM as its child (pid 1 inside): find its pid out here.
      long parent = service.process.pid();
      String children =
          java.nio.file.Files.readString(
                  java.nio.file.Paths.get("/proc/" + parent + "/task/" + parent + "/children"))
              .trim();
      service.pid = Long.parseLong(children.split("\\s+")[0]);
    } else {
      service.pid = service.process.pid();
    }
    return service;
  }

  private long pid;

  /**
   * The JVM's pid as this process sees it: unshare and sh exec into it, so it is the started
   * process itself, except in its own pid namespace, where it is unshare's child.
   */
  long pid() {
    return pid;
  }

  private static void pump(InputStream in, List<String> into, String name) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  synchronized (into) {
                    into.add(line);
                    into.notifyAll();
                  }
                }
              } catch (IOException ignored) {
                // the process ended
              }
            },
            "service-" + name);
    t.setDaemon(true);
    t.start();
  }

  int stdoutSize() {
    synchronized (stdout) {
      return stdout.size();
    }
  }

  int stderrSize() {
    synchronized (stderr) {
      return stderr.size();
    }
  }

  /** Waits for a line matching {@code test} at index {@code from} or later; returns it. */
  String awaitLine(Predicate<String> test, int from, int seconds) {
    int index = await(stdout, test, from, seconds);
    synchronized (stdout) {
      return stdout.get(index);
    }
  }

  /**
   * Like {@link #awaitLine(Predicate, int, int)} on standard error (where {@code java.util.logging}
   * writes, and so the OpenTelemetry agent's logging exporter): the index of the line.
   */
  int awaitStderrLine(Predicate<String> test, int from, int seconds) {
    return await(stderr, test, from, seconds);
  }

  String stderrLine(int index) {
    synchronized (stderr) {
      return stderr.get(index);
    }
  }

  /** The index of the first line of {@code lines} from {@code from} on that matches. */
  private int await(List<String> lines, Predicate<String> test, int from, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    synchronized (lines) {
      int i = from;
      while (true) {
        for (; i < lines.size(); i++) {
          if (test.test(lines.get(i))) {
            return i;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.isAlive()) {
          fail("no matching line in " + seconds + " s\n" + describe());
        }
        try {
          lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
    }
  }

  String awaitLine(Predicate<String> test, int seconds) {
    return awaitLine(test, 0, seconds);
  }

  /**
   * The {@code held} count of the first cycle that started after now (the cycle in progress may
   * straddle an attach or detach, so it is skipped). Stepped, that cycle then holds its connections
   * until the next call (or {@link #release()}), so the test can read the service and the kernel
   * meanwhile. The service waits for the kernel to release the previous cycle's ports before each
   * cycle; a cycle that started with some still in use fails here, saying so, rather than passing
   * for a capacity result.
   */
  int nextFullCycleHeld() {
    String line;
    if (stepped) {
      // The cycle held now (or being set up, if it has not printed its line yet) began before now.
      awaitCycle(released + 1);
      release();
      line = awaitCycle(released + 1);
    } else {
      int from = stdoutSize();
      String inProgress = awaitLine(l -> CAPACITY.matcher(l).matches(), from, 30);
      int after = indexOf(inProgress) + 1;
      line = awaitLine(l -> CAPACITY.matcher(l).matches(), after, 30);
    }
    Matcher busy = PORTS_IN_USE.matcher(line);
    if (!busy.find() || !busy.group(1).equals("0")) {
      fail("the cycle did not start from a free range: " + line + "\n" + describe());
    }
    return held(line);
  }

  /** The CAPACITY line of cycle {@code n}, once printed. */
  private String awaitCycle(int n) {
    String prefix = "CAPACITY cycle=" + n + " ";
    return awaitLine(l -> l.startsWith(prefix), 0, 30);
  }

  /** Ends the hold of the cycle the service is holding (stepped only). */
  void release() {
    if (!stepped) {
      throw new IllegalStateException("not started with --hold stdin");
    }
    try {
      process.getOutputStream().write('\n');
      process.getOutputStream().flush();
      released++;
    } catch (IOException e) {
      fail("cannot release the service's hold: " + e + "\n" + describe());
    }
  }

  private int indexOf(String line) {
    synchronized (stdout) {
      return stdout.lastIndexOf(line);
    }
  }

  static int held(String capacityLine) {
    Matcher m = CAPACITY.matcher(capacityLine);
    if (!m.matches()) {
      fail("not a CAPACITY line: " + capacityLine);
    }
    return Integer.parseInt(m.group(2));
  }

  /** Every CAPACITY line so far. */
  List<String> capacityLines() {
    List<String> out = new ArrayList<>();
    synchronized (stdout) {
      for (String l : stdout) {
        if (l.startsWith("CAPACITY ")) {
          out.add(l);
        }
      }
    }
    return out;
  }

  String stdout() {
    synchronized (stdout) {
      return String.join("\n", stdout);
    }
  }

  String stderr() {
    synchronized (stderr) {
      return String.join("\n", stderr);
    }
  }

  String describe() {
    return "command: " + command + "\n--- stdout\n" + stdout() + "\n--- stderr\n" + stderr();
  }

  @Override
  public void close() {
    // In its own pid namespace the JVM is unshare's child and outlives it: end the JVM itself
    // first. As pid 1 there it ignores SIGTERM unless it handles it (not with -Xrs): then SIGKILL.
    if (pid != process.pid()) {
      ProcessHandle.of(pid)
          .ifPresent(
              jvm -> {
                jvm.destroy();
                try {
                  jvm.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception stillRunning) {
                  jvm.destroyForcibly();
                }
              });
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The command line: {@code java -jar fourtuple-agent.jar <args>} on the JDK running the tests.
   */
  static Cli cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-jar");
    cmd.add(ChildJvm.AGENT.toAbsolutePath().toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("command line did not finish: " + cmd);
    }
    return new Cli(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8),
        String.join(" ", cmd));
  }

  /** What one command-line run printed. */
  record Cli(int exit, String stdout, String stderr, String command) {
    String describe() {
      return "command: "
          + command
          + " -> exit "
          + exit
          + "\n--- stdout\n"
          + stdout
          + "--- stderr\n"
          + stderr;
    }

    /** A number field of the (flat enough) JSON output, e.g. {@code "outbound":100}. */
    long jsonNumber(String field) {
      Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?\\d+)").matcher(stdout);
      if (!m.find()) {
        fail("no " + field + " in\n" + describe());
      }
      return Long.parseLong(m.group(1));
    }

    /** Per destination "established" counts of the status JSON's sockets section. */
    Map<String, Integer> establishedPerDestination() {
      Map<String, Integer> out = new java.util.TreeMap<>();
      Matcher m =
          Pattern.compile("\\{\"destination\":\"([^\"]+)\",\"established\":(\\d+)").matcher(stdout);
      while (m.find()) {
        out.put(m.group(1), Integer.parseInt(m.group(2)));
      }
      return out;
    }
  }
}
