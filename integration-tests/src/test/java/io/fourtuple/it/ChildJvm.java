package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Starts a sample app in a child JVM, optionally with the agent, inside a fresh network namespace
 * whose ephemeral port range is tiny, so the kernel itself shows how many connections the app could
 * hold.
 *
 * <p>Needs root (for {@code unshare -n} and the namespace's sysctl). Without it every such test is
 * skipped with the reason printed, never passed.
 */
final class ChildJvm {
  static final Path AGENT =
      Paths.get(System.getProperty("it.agentJar", "../agent/target/fourtuple-agent.jar"));
  static final Path SAMPLES =
      Paths.get(
          System.getProperty("it.samplesJar", "../sample-apps/target/fourtuple-sample-apps.jar"));

  /** The namespace's ephemeral range: 10 ports. */
  static final int RANGE_LOW = 60000;

  static final int RANGE_HIGH = 60009;
  static final int RANGE = RANGE_HIGH - RANGE_LOW + 1;

  private static volatile String namespaceProblem;
  private static volatile boolean checked;

  private final Jdk jdk;
  private final List<String> jvmArgs = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private String agentArgs;
  private boolean withAgent;
  private String classpath;
  private int rangeLow = RANGE_LOW;
  private int rangeHigh = RANGE_HIGH;
  private int timeoutSeconds = 120;
  private boolean timeWaitReuse = true;

  private ChildJvm(Jdk jdk) {
    this.jdk = jdk;
  }

  static ChildJvm on(Jdk jdk) {
    if (jdk.home() == null) {
      String message =
          "JDK "
              + jdk.label()
              + " not found, or left out of IT_JDKS (install with ../shared/tools/jdks.sh or set"
              + " IT_JDKS)";
      if (Boolean.getBoolean("it.requireAllJdks")) {
        fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
    requireNamespaces();
    ChildJvm child = new ChildJvm(jdk);
    child.jvmArgs.addAll(jdk.extraJvmArgs());
    return child;
  }

  /** Skips the calling test, saying why, when network namespaces cannot be made here. */
  static void requireNamespaces() {
    if (!checked) {
      namespaceProblem = probeNamespaces();
      checked = true;
    }
    if (namespaceProblem != null) {
      System.err.println("SKIPPED: " + namespaceProblem);
      Assumptions.abort(namespaceProblem);
    }
  }

  private static String probeNamespaces() {
    try {
      Process id = new ProcessBuilder("id", "-u").start();
      String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      id.waitFor();
      if (!uid.equals("0")) {
        return "needs root to create network namespaces (unshare -n) and set their"
            + " ip_local_port_range; running as uid "
            + uid;
      }
      Process probe =
          new ProcessBuilder("unshare", "-n", "sh", "-c", "ip link set lo up")
              .redirectErrorStream(true)
              .start();
      String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (probe.waitFor() != 0) {
        return "cannot create a network namespace with 'unshare -n' and bring lo up: " + out;
      }
      return null;
    } catch (IOException | InterruptedException e) {
      return "cannot run unshare/ip (util-linux, iproute2): " + e;
    }
  }

  ChildJvm agent(String args) {
    withAgent = true;
    agentArgs = args;
    return this;
  }

  ChildJvm agent() {
    return agent(null);
  }

  ChildJvm jvmArg(String arg) {
    jvmArgs.add(arg);
    return this;
  }

  /**
   * The namespace's ephemeral range, for a program that makes many short connections and is not
   * about capacity (the default is {@link #RANGE}: 10 ports).
   */
  ChildJvm ephemeralRange(int low, int high) {
    this.rangeLow = low;
    this.rangeHigh = high;
    return this;
  }

  /** How long {@link #run} waits for the child (default 120 s). */
  ChildJvm timeout(int seconds) {
    this.timeoutSeconds = seconds;
    return this;
  }

  /**
   * Turns {@code net.ipv4.tcp_tw_reuse} off in the namespace: its default (2) lets connect() reuse
   * a loopback 4-tuple in TIME_WAIT, so a test that must exhaust the range on 127.0.0.1 never
   * would.
   */
  ChildJvm noTimeWaitReuse() {
    this.timeWaitReuse = false;
    return this;
  }

  /** Runs the main class from this class path instead of the sample-apps jar. */
  ChildJvm classpath(String classpath) {
    this.classpath = classpath;
    return this;
  }

  ChildJvm env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Runs {@code mainClass} from the sample-apps jar with {@code args} and waits for it. */
  Run run(String mainClass, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            "unshare",
            "-n",
            "sh",
            "-c",
            "ip link set lo up && echo '"
                + rangeLow
                + " "
                + rangeHigh
                + "' > /proc/sys/net/ipv4/ip_local_port_range"
                + (timeWaitReuse ? "" : " && echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse")
                + " && exec \"$@\"",
            "sh"));
    command.add(jdk.java().toString());
    command.addAll(jvmArgs);
    if (withAgent) {
      command.add(
          "-javaagent:" + AGENT.toAbsolutePath() + (agentArgs == null ? "" : "=" + agentArgs));
    }
    command.add("-cp");
    command.add(classpath != null ? classpath : SAMPLES.toAbsolutePath().toString());
    command.add(mainClass);
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("FOURTUPLE_") || k.startsWith("JAVA_TOOL"));
    builder.environment().putAll(env);
    Path stdout = Files.createTempFile("fourtuple-it", ".out");
    Path stderr = Files.createTempFile("fourtuple-it", ".err");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    Process process = builder.start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("child JVM did not finish in " + timeoutSeconds + " s: " + command);
    }
    Run run =
        new Run(
            process.exitValue(),
            Files.readString(stdout, StandardCharsets.UTF_8),
            Files.readString(stderr, StandardCharsets.UTF_8),
            String.join(" ", command));
    Files.deleteIfExists(stdout);
    Files.deleteIfExists(stderr);
    return run;
  }

  /** What a child JVM did. */
  record Run(int exitCode, String stdout, String stderr, String command) {
    /** The {@code RESULT k=v ...} line of a sample app. */
    Map<String, String> result() {
      for (String line : stdout.split("\n")) {
        if (line.startsWith("RESULT ")) {
          Map<String, String> out = new LinkedHashMap<>();
          for (String pair : line.substring(7).trim().split("\\s+")) {
            int eq = pair.indexOf('=');
            out.put(pair.substring(0, eq), pair.substring(eq + 1));
          }
          return out;
        }
      }
      fail("no RESULT line; exit " + exitCode + "\n" + describe());
      return Map.of();
    }

    int number(String key) {
      String value = result().get(key);
      if (value == null) {
        fail("RESULT has no " + key + "\n" + describe());
      }
      return Integer.parseInt(value);
    }

    void assertSucceeded() {
      assertEquals(0, exitCode, () -> "exit code\n" + describe());
    }

    /** Lines of the agent's own output. */
    List<String> agentLines() {
      List<String> out = new ArrayList<>();
      for (String line : stderr.split("\n")) {
        if (line.contains("fourtuple")) {
          out.add(line);
        }
      }
      return out;
    }

    String describe() {
      return "command: " + command + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }
}
