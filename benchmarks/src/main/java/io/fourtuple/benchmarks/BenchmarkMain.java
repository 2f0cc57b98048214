package io.fourtuple.benchmarks;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark command: whole-process runs of child JVMs with and without the agent, compared in
 * the same invocation. A command, not a test — nothing here runs during {@code mvn test} or {@code
 * verify}.
 *
 * <pre>
 * java -cp 'benchmarks/target/fourtuple-benchmarks.jar:benchmarks/target/lib/*' \
 *     io.fourtuple.benchmarks.BenchmarkMain [startup|connect|hotpath|throughput|all] [options]
 *   --agent PATH            agent jar (default: agent/target/fourtuple-agent.jar beside
 *                           benchmarks/; also -Dagent=PATH)
 *   --jdks HOME[,HOME...]   JAVA_HOMEs for the startup benchmark (default: JDK 17 and JDK 25)
 *   --runs N                startup runs per config after the warm-up rounds (default 20)
 *   --warmup-runs N         startup warm-up rounds, not counted (default 2)
 *   --breakdown true|false  also run hello under an empty agent and under fourtuple with
 *                           enabled=false, to split the agent's startup cost (default true)
 *   --jdk HOME              JAVA_HOME for the connect benchmark (default: JDK 17)
 *   --rounds N              connect rounds, each runs all four configs (default 5)
 *   --warmup-seconds S      connect warm-up per config and round (default 2)
 *   --seconds S             connect measured time per config and round (default 5)
 *   --api socket|channel|async connect loop API, the same for all four configs (default socket)
 *   --slice-ms MS           connect configs take turns in slices this long (default 250)
 *   --acceptor inline|thread  where the listener accepts: on the client's thread after each connect,
 *                           or on a thread of its own (default inline)
 *   --jmh-jdk HOME          JAVA_HOME of the JMH forks (default: JDK 17)
 *   --jmh-rounds N          JMH rounds, each one fork per benchmark and config (default 3)
 *   --jmh-warmup-iterations N, --jmh-iterations N, --jmh-iteration-ms MS   (default 2, 3, 1000)
 *   --throughput-jdks HOME[,HOME...]  JAVA_HOMEs of the throughput workloads (default: JDK 21, 25)
 *   --throughput-rounds N   throughput rounds, each one JVM per config (default 3)
 *   --tasks N, --cycles N   virtual threads and connect cycles each (default 2000, 50); the
 *                           single thread does N x cycles
 * </pre>
 *
 * <p>Every mode also prints the agent jar's size against its goal.
 *
 * <p>Exit status: 0 all goals met, 3 a goal missed (the numbers are still printed), 1 a run failed
 * or a check did not hold (no numbers are trusted), 2 bad usage.
 */
public final class BenchmarkMain {
  static final String JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64";
  static final String JDK21 = "/root/.cache/jdks/jdk-21";
  static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64";

  // The goals of issue 11, and the earlier ones it kept.
  static final long JAR_GOAL_BYTES = 1024 * 1024;
  static final double STARTUP_GOAL_MILLIS_JDK17 = 100;
  static final double STARTUP_GOAL_MILLIS_JDK25 = 130;
  static final double SOCKET_STARTUP_GOAL_MILLIS = 150; // JDK 17, first action a client bind
  static final double TO_MAIN_GOAL_MILLIS = 80; // JDK 17
  static final double CYCLE_GOAL_NANOS = 1000;
  static final double VIRTUAL_GOAL = 0.95;
  static final double SINGLE_GOAL = 0.97;
  // Audit no slower than enforce, within what the median of a few rounds can tell apart.
  static final double AUDIT_OVER_ENFORCE_GOAL = 0.98;

  static final double AUDIT_GOAL = 0.98;
  static final double ENFORCE_GOAL = 0.97;

  private BenchmarkMain() {}

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("usage error: " + e.getMessage());
      status = 2;
    } catch (BenchmarkFailure e) {
      System.out.flush();
      System.err.println();
      System.err.println("BENCHMARK FAILED: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] args) {
    String which = "all";
    Map<String, String> options = new LinkedHashMap<String, String>();
    options.put("agent", System.getProperty("agent"));
    options.put("jdks", JDK17 + "," + JDK25);
    options.put("runs", "20");
    options.put("warmup-runs", "2");
    options.put("breakdown", "true");
    options.put("jdk", JDK17);
    options.put("rounds", "5");
    options.put("warmup-seconds", "2");
    options.put("seconds", "5");
    options.put("api", "socket");
    options.put("acceptor", "inline");
    options.put("slice-ms", "250");
    options.put("jmh-jdk", JDK17);
    options.put("jmh-rounds", "3");
    options.put("jmh-warmup-iterations", "2");
    options.put("jmh-iterations", "3");
    options.put("jmh-iteration-ms", "1000");
    options.put("throughput-jdks", JDK21 + "," + JDK25);
    options.put("throughput-rounds", "3");
    options.put("tasks", "2000");
    options.put("cycles", "50");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--")) {
        String key = a.substring(2);
        String value;
        int eq = key.indexOf('=');
        if (eq >= 0) {
          value = key.substring(eq + 1);
          key = key.substring(0, eq);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException(a + " needs a value");
        }
        if (!options.containsKey(key)) {
          throw new IllegalArgumentException(
              "unknown option " + a + "; known: " + options.keySet());
        }
        options.put(key, value);
      } else if (Arrays.asList("startup", "connect", "hotpath", "throughput", "all").contains(a)) {
        which = a;
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + a + "; expected startup|connect|hotpath|throughput|all");
      }
    }
    String api = options.get("api");
    if (!api.equals("socket") && !api.equals("channel") && !api.equals("async")) {
      throw new IllegalArgumentException("--api must be socket, channel or async");
    }
    String acceptor = options.get("acceptor");
    if (!acceptor.equals("inline") && !acceptor.equals("thread")) {
      throw new IllegalArgumentException("--acceptor must be inline or thread");
    }

    File benchmarksJar = ownJar();
    File agentJar = agentJar(options.get("agent"), benchmarksJar);
    File scratch;
    try {
      scratch = Files.createTempDirectory("fourtuple-bench").toFile();
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot create a scratch directory: " + e);
    }
    try {
      return runBenchmarks(which, options, benchmarksJar, agentJar, scratch);
    } finally {
      File[] files = scratch.listFiles();
      for (File f : files == null ? new File[0] : files) {
        f.delete();
      }
      scratch.delete();
    }
  }

  private static int runBenchmarks(
      String which, Map<String, String> options, File benchmarksJar, File agentJar, File scratch) {
    ChildJvm child = new ChildJvm(scratch);

    printMachine(agentJar);
    Goals goals = new Goals();
    long jarBytes = agentJar.length();
    goals.atMost(
        String.format(
            Locale.ROOT,
            "jar    fourtuple-agent.jar %,d bytes (%.2f MB)",
            jarBytes,
            jarBytes / 1048576.0),
        jarBytes,
        JAR_GOAL_BYTES,
        "1 MB");

    if (which.equals("startup") || which.equals("all")) {
      boolean breakdown = Boolean.parseBoolean(options.get("breakdown").trim());
      StartupBenchmark startup =
          new StartupBenchmark(
              benchmarksJar,
              agentJar,
              breakdown ? EmptyAgentJar.write(scratch) : null,
              LauncherJar.write(scratch, StartupBenchmark.SOCKET, benchmarksJar),
              child,
              positive(options, "runs"),
              nonNegative(options, "warmup-runs"));
      for (String home : options.get("jdks").split(",")) {
        Jdk jdk = Jdk.at(home.trim());
        StartupBenchmark.Result r = startup.run(jdk);
        for (Map.Entry<String, Double> e : r.medianDeltaMillis.entrySet()) {
          boolean hello = e.getKey().equals("hello");
          double goal =
              jdk.feature == 17
                  ? (hello ? STARTUP_GOAL_MILLIS_JDK17 : SOCKET_STARTUP_GOAL_MILLIS)
                  : jdk.feature == 25 && hello ? STARTUP_GOAL_MILLIS_JDK25 : Double.NaN;
          goals.millis(
              String.format(
                  Locale.ROOT,
                  "startup %-6s %-7s agent adds %+7.1f ms (median)",
                  jdk.label(),
                  e.getKey(),
                  e.getValue()),
              e.getValue(),
              goal);
          goals.millis(
              String.format(
                  Locale.ROOT,
                  "startup %-6s %-7s time to main added %+7.1f ms",
                  jdk.label(),
                  e.getKey(),
                  r.toMainDeltaMillis.get(e.getKey())),
              r.toMainDeltaMillis.get(e.getKey()),
              jdk.feature == 17 && hello ? TO_MAIN_GOAL_MILLIS : Double.NaN);
        }
      }
    }

    if (which.equals("hotpath") || which.equals("all")) {
      HotPathBenchmark hot =
          new HotPathBenchmark(
              agentJar,
              scratch,
              positive(options, "jmh-rounds"),
              nonNegative(options, "jmh-warmup-iterations"),
              positive(options, "jmh-iterations"),
              positive(options, "jmh-iteration-ms"));
      Jdk jdk = Jdk.at(options.get("jmh-jdk"));
      HotPathBenchmark.Result r = hot.run(jdk);
      for (Map.Entry<String, Double> e : r.addedNanos.entrySet()) {
        String label =
            String.format(
                Locale.ROOT,
                "hotpath %-6s %-20s agent adds %+6.0f ns/op",
                jdk.label(),
                e.getKey(),
                e.getValue());
        if (e.getKey().startsWith("connectCycle")) {
          goals.atMost(label, e.getValue(), CYCLE_GOAL_NANOS, "1 us");
        } else {
          goals.add(label + "   (no goal)");
        }
      }
    }

    if (which.equals("throughput") || which.equals("all")) {
      ThroughputBenchmark throughput =
          new ThroughputBenchmark(
              benchmarksJar,
              agentJar,
              child,
              positive(options, "throughput-rounds"),
              positive(options, "tasks"),
              positive(options, "cycles"));
      for (String home : options.get("throughput-jdks").split(",")) {
        Jdk jdk = Jdk.at(home.trim());
        ThroughputBenchmark.Result r = throughput.run(jdk);
        String l = "throughput " + jdk.label();
        goals.atLeast(l + " virtual enforce / none  ", r.virtualEnforce, VIRTUAL_GOAL);
        goals.atLeast(l + " virtual audit / none    ", r.virtualAudit, VIRTUAL_GOAL);
        goals.atLeast(
            l + " virtual audit / enforce ",
            r.virtualAudit / r.virtualEnforce,
            AUDIT_OVER_ENFORCE_GOAL);
        goals.atLeast(l + " 1 thread enforce / none ", r.singleEnforce, SINGLE_GOAL);
        goals.atLeast(l + " 1 thread audit / none   ", r.singleAudit, SINGLE_GOAL);
        goals.atLeast(l + " virtual enforce / app-set", r.virtualEnforceOverAppSet, VIRTUAL_GOAL);
        goals.atLeast(l + " 1 thread enforce / app-set", r.singleEnforceOverAppSet, SINGLE_GOAL);
        goals.add(
            String.format(
                Locale.ROOT,
                "%s virtual 2nd pass, enforce / none = %.3f, audit / none = %.3f   (no goal: the"
                    + " same JVM once warmed)",
                l,
                r.virtualLastEnforce,
                r.virtualLastAudit));
      }
    }

    if (which.equals("connect") || which.equals("all")) {
      ConnectLoopBenchmark connect =
          new ConnectLoopBenchmark(
              benchmarksJar,
              agentJar,
              scratch,
              positive(options, "rounds"),
              millis(options, "warmup-seconds"),
              millis(options, "seconds"),
              positive(options, "slice-ms"),
              options.get("api"),
              options.get("acceptor"));
      Jdk jdk = Jdk.at(options.get("jdk"));
      ConnectLoopBenchmark.Result r = connect.run(jdk);
      goals.atLeast("connect " + jdk.label() + " audit / none     ", r.auditOverNone, AUDIT_GOAL);
      goals.atLeast(
          "connect " + jdk.label() + " enforce / app-set", r.enforceOverAppSet, ENFORCE_GOAL);
    }

    System.out.println();
    System.out.println("Goals");
    for (String v : goals.lines) {
      System.out.println("  " + v);
    }
    return goals.missed ? 3 : 0;
  }

  /** The verdict lines: each figure with its goal and MET or MISSED. */
  private static final class Goals {
    final List<String> lines = new ArrayList<String>();
    boolean missed;

    void add(String line) {
      lines.add(line);
    }

    void atMost(String label, double value, double limit, String limitText) {
      verdict(label + "   goal <= " + limitText, value <= limit);
    }

    /** A startup figure in ms; a NaN goal: printed with no verdict. */
    void millis(String label, double value, double goal) {
      if (Double.isNaN(goal)) {
        add(label + "   (no goal set for this JDK and program)");
      } else {
        atMost(label, value, goal, String.format(Locale.ROOT, "%.0f ms", goal));
      }
    }

    void atLeast(String label, double ratio, double goal) {
      verdict(
          String.format(Locale.ROOT, "%s = %.3f   goal >= %.2f", label, ratio, goal),
          ratio >= goal);
    }

    private void verdict(String line, boolean met) {
      missed |= !met;
      lines.add(line + ": " + (met ? "MET" : "MISSED"));
    }
  }

  private static void printMachine(File agentJar) {
    System.out.println("fourtuple benchmarks");
    System.out.printf(
        Locale.ROOT,
        "  machine: %d CPUs (%s), %s %s, ephemeral ports %s%n",
        Runtime.getRuntime().availableProcessors(),
        cpuModel(),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        firstLine("/proc/sys/net/ipv4/ip_local_port_range").replace('\t', '-'));
    System.out.println("  agent:   " + agentJar);
  }

  private static String cpuModel() {
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown CPU";
  }

  private static String firstLine(String path) {
    List<String> l = lines(path);
    return l.isEmpty() ? "unknown" : l.get(0).trim();
  }

  private static List<String> lines(String path) {
    try {
      return Files.readAllLines(new File(path).toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return new ArrayList<String>();
    }
  }

  /** The jar this class was loaded from: the child JVMs run the workloads from it. */
  private static File ownJar() {
    try {
      File f =
          new File(BenchmarkMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!f.isFile()) {
        throw new BenchmarkFailure(
            "run from the packaged jar (benchmarks/target/fourtuple-benchmarks.jar), not from "
                + f);
      }
      return f;
    } catch (URISyntaxException e) {
      throw new BenchmarkFailure("cannot locate the benchmarks jar: " + e);
    }
  }

  private static File agentJar(String explicit, File benchmarksJar) {
    File jar;
    if (explicit != null) {
      jar = new File(explicit);
    } else {
      // benchmarks/target/fourtuple-benchmarks.jar ->
      // benchmarks/../agent/target/fourtuple-agent.jar
      File benchmarksDir = benchmarksJar.getAbsoluteFile().getParentFile().getParentFile();
      jar = new File(benchmarksDir, "../agent/target/fourtuple-agent.jar");
    }
    try {
      jar = jar.getCanonicalFile();
    } catch (IOException e) {
      jar = jar.getAbsoluteFile();
    }
    if (!jar.isFile()) {
      throw new BenchmarkFailure("no agent jar at " + jar + " (build it, or pass --agent PATH)");
    }
    return jar;
  }

  private static int positive(Map<String, String> options, String key) {
    int n = integer(options, key);
    if (n <= 0) {
      throw new IllegalArgumentException("--" + key + " must be positive");
    }
    return n;
  }

  private static int nonNegative(Map<String, String> options, String key) {
    int n = integer(options, key);
    if (n < 0) {
      throw new IllegalArgumentException("--" + key + " must not be negative");
    }
    return n;
  }

  private static int integer(Map<String, String> options, String key) {
    try {
      return Integer.parseInt(options.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + key + " must be an integer, not " + options.get(key));
    }
  }

  private static long millis(Map<String, String> options, String key) {
    try {
      double seconds = Double.parseDouble(options.get(key).trim());
      if (seconds <= 0 && !key.startsWith("warmup")) {
        throw new IllegalArgumentException("--" + key + " must be positive");
      }
      return Math.max(0, Math.round(seconds * 1000));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a number of seconds");
    }
  }
}
