package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/otel-jmx-rules.yaml with the real OpenTelemetry Java agent (the version integration-tests/
 * pom.xml copies from Maven Central): a service JVM runs both agents, the OpenTelemetry one first
 * as it usually is, in its own network namespace with the 10-port range, and exports its metrics
 * through the logging exporter to standard error. While the service holds a known number of
 * connections, the exported {@code fourtuple.destination.ports{state=established}} is what {@code
 * ss} shows in the namespace, the free ports and connects are the ledger's (its JSON report of the
 * same steady state), and the pool is the namespace's range.
 *
 * <p>Needs root (skipped otherwise, saying why).
 */
class OtelTest {
  static final Path RULES = Paths.get("../docs/otel-jmx-rules.yaml");
  static final Path OTEL_AGENT =
      Paths.get(System.getProperty("it.otelAgentJar", "target/otel/opentelemetry-javaagent.jar"));
  static final int DESTINATIONS = 2;
  static final int PER_DESTINATION = 7;
  static final int BASE_PORT = 21200;

  /** Every JDK of the matrix with the OpenTelemetry agent first; on 17 the other order too. */
  static List<Arguments> jdksAndOrders() {
    List<Arguments> out = new ArrayList<>();
    for (Jdk jdk : Jdk.matrix()) {
      out.add(Arguments.of(jdk, true));
      if (jdk.label().equals("17")) {
        out.add(Arguments.of(jdk, false));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "JDK {0}, OpenTelemetry agent first: {1}")
  @MethodSource("jdksAndOrders")
  void theOpenTelemetryAgentExportsTheLedgerNumbersTheKernelShows(Jdk jdk, boolean otelFirst)
      throws Exception {
    ChildJvm.requireNamespaces();
    assertTrue(
        Files.isRegularFile(OTEL_AGENT),
        OTEL_AGENT + " missing: the build copies it (integration-tests/pom.xml)");
    Path work = Files.createTempDirectory("fourtuple-otel");
    Path json = work.resolve("ledger.json");
    String otel = "-javaagent:" + OTEL_AGENT.toAbsolutePath();
    String fourtuple =
        "-javaagent:"
            + ChildJvm.AGENT.toAbsolutePath()
            + "=ledger.interval=200ms,ledger.summary.interval=off,ledger.json.file="
            + json
            + ",ledger.json.interval=200ms";
    List<String> jvmArgs =
        List.of(
            otelFirst ? otel : fourtuple,
            otelFirst ? fourtuple : otel,
            "-Dotel.metrics.exporter=logging",
            "-Dotel.traces.exporter=none",
            "-Dotel.logs.exporter=none",
            "-Dotel.metric.export.interval=500",
            "-Dotel.jmx.config=" + RULES.toAbsolutePath().normalize(),
            "-Dotel.jmx.discovery.delay=200");
    try (ServiceJvm service =
        // The OpenTelemetry agent instruments the JDK at startup: seconds on a quiet machine, more
        // on a loaded one.
        ServiceJvm.start(
            jdk,
            180,
            jvmArgs,
            "--hold",
            "stdin",
            "--destinations",
            String.valueOf(DESTINATIONS),
            "--per-destination",
            String.valueOf(PER_DESTINATION),
            "--base-port",
            String.valueOf(BASE_PORT))) {
      // The cycle holds its connections from here until the service is closed: a steady state
      // the kernel, the ledger and the exporter all see.
      assertEquals(DESTINATIONS * PER_DESTINATION, service.nextFullCycleHeld(), service::describe);
      int held = service.stderrSize();
      long heldSince = System.currentTimeMillis();
      PrometheusTest.Kernel kernel = PrometheusTest.Kernel.read(service.pid(), BASE_PORT);
      assertEquals(PER_DESTINATION, kernel.established(), kernel.ss());
      String peer = "network.peer.address=\"127.0.0.1\", network.peer.port=\"" + BASE_PORT + "\"";

      // An export after the hold that shows the held connections...
      int at =
          service.awaitStderrLine(
              l ->
                  String.valueOf(kernel.established())
                      .equals(
                          point(
                              l, "fourtuple.destination.ports", peer + ", state=\"established\"")),
              held,
              120);
      String ports = service.stderrLine(at);
      assertTrue(ports.contains("unit={port}, type=LONG_SUM"), ports);
      assertTrue(ports.contains("monotonic=false"), "an updowncounter: " + ports);
      // The time_wait point of the same metric: usually in the same export line, but JMX insight
      // reads the two attributes through two callbacks, and a line has been seen with only one.
      String timeWait = peer + ", state=\"time_wait\"";
      int tw =
          service.awaitStderrLine(
              l -> point(l, "fourtuple.destination.ports", timeWait) != null, at, 120);
      assertEquals(
          "0",
          point(service.stderrLine(tw), "fourtuple.destination.ports", timeWait),
          () -> "time_wait while the connections are held\n" + service.stderrLine(tw));
      // ...and from there on, each metric as it is next exported.
      Map<?, ?> row = ledgerRow(json, "127.0.0.1:" + BASE_PORT, heldSince);
      String free = next(service, at, "fourtuple.destination.free_ports", peer);
      assertEquals(
          String.valueOf(RANGE - kernel.inRange() - kernel.listenersInRange()),
          free,
          () -> "free ports exported vs the kernel's table\n" + kernel.ss());
      assertEquals(String.valueOf(RANGE - PER_DESTINATION), free, kernel.ss());
      assertEquals(number(find(row, "free")), free, "free ports exported vs the ledger's");
      assertEquals(
          number(find(row, "projected")),
          next(service, at, "fourtuple.destination.projected_free_ports", peer));
      assertEquals(String.valueOf(RANGE), next(service, at, "fourtuple.source_port.pool", ""));
      assertEquals(
          number(find(row, "total")),
          next(service, at, "fourtuple.connects", peer),
          "connects exported vs the ledger's");
      String failures = "error.type=\"EADDRNOTAVAIL\", " + peer;
      assertEquals("0", next(service, at, "fourtuple.connect.failures", failures));
      String counter = service.stderrLine(metricLine(service, at, "fourtuple.connect.failures"));
      assertTrue(counter.contains("monotonic=true"), "a counter: " + counter);
      assertTrue(
          service
              .stderrLine(metricLine(service, at, "fourtuple.destination.free_ports"))
              .contains("type=LONG_GAUGE"),
          "a gauge");
    } finally {
      Files.deleteIfExists(json);
      Files.deleteIfExists(work);
    }
  }

  /**
   * The value of the point of {@code metric} with exactly {@code attributes} (the exporter writes
   * them sorted by key) in one line of the logging exporter, or null if the line has none.
   */
  static String point(String line, String metric, String attributes) {
    int at = line.indexOf(", name=" + metric + ", ");
    if (!line.contains("LoggingMetricExporter") || at < 0) {
      return null;
    }
    Matcher m =
        Pattern.compile("attributes=\\{" + Pattern.quote(attributes) + "\\}, value=(-?[0-9.]+)")
            .matcher(line.substring(at));
    return m.find() ? m.group(1) : null;
  }

  /** The index of the first export line of {@code metric} after line {@code after}. */
  private static int metricLine(ServiceJvm service, int after, String metric) {
    return service.awaitStderrLine(
        l -> l.contains("LoggingMetricExporter") && l.contains(", name=" + metric + ", "),
        after + 1,
        120);
  }

  /** The point's value in the first export of {@code metric} after line {@code after}. */
  private static String next(ServiceJvm service, int after, String metric, String attributes) {
    String line = service.stderrLine(metricLine(service, after, metric));
    String value = point(line, metric, attributes);
    assertNotNull(value, () -> "no point {" + attributes + "} in " + line);
    return value;
  }

  /** The destination's row in the first JSON report of the ledger written after {@code since}. */
  private static Map<?, ?> ledgerRow(Path json, String destination, long since) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<?, ?> report = null;
    while (report == null || ((Number) report.get("timeMillis")).longValue() < since) {
      if (System.nanoTime() > deadline) {
        fail("no ledger report written after the hold within 30 s: " + report);
      }
      if (report != null) {
        Thread.sleep(50); // the next tick writes the file (ledger.json.interval=200ms)
      }
      // Replaced by a rename: never seen half written.
      report = (Map<?, ?>) MiniJson.parse(Files.readString(json));
    }
    for (Object row : (List<?>) report.get("destinations")) {
      if (destination.equals(((Map<?, ?>) row).get("destination"))) {
        return (Map<?, ?>) row;
      }
    }
    fail("no " + destination + " in the ledger's report " + report);
    return null;
  }

  /** {@code key} in the row or one of its sections (kernel, headroom). */
  private static Object find(Map<?, ?> row, String key) {
    if (row.containsKey(key)) {
      return row.get(key);
    }
    for (Object v : row.values()) {
      if (v instanceof Map<?, ?> section && section.containsKey(key)) {
        return section.get(key);
      }
    }
    fail("no " + key + " in " + row);
    return null;
  }

  private static String number(Object value) {
    return value instanceof Number n ? String.valueOf(n.longValue()) : String.valueOf(value);
  }
}
