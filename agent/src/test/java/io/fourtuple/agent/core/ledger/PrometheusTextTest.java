package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.platform.FakeSocketOptions;
import io.fourtuple.agent.platform.ProcessId;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.helpers.NOPLogger;

class PrometheusTextTest {
  /** A sample line of the text format: name, labels, a value, no timestamp. */
  private static final Pattern SAMPLE =
      Pattern.compile("[a-z_]+\\{(?:[a-z_]+=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)+\\} [0-9.E-]+");

  private static final LedgerReport.Context CONTEXT = new LedgerReport.Context(false, true, null);

  @Test
  void ledgerColumnsBecomeTheDocumentedSeriesWithPidAndJvmLabels() {
    PortLedger ledger = new PortLedger(10, 100, 100);
    ledger.connectFailed(
        null, HeadroomWarningsTest.DEST, null, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    LedgerReport r = HeadroomWarningsTest.report(ledger, new ArrayList<>(), 4, CONTEXT);
    AgentStats stats = new AgentStats();
    stats.bind(Api.SOCKET, BindOutcome.APPLIED);
    stats.bind(Api.SOCKET, BindOutcome.APPLIED);
    String text = PrometheusText.render(r, stats, null, 42, "com.example.Main", 50);
    String labels = "pid=\"42\",jvm=\"com.example.Main\",destination=\"10.0.0.1:443\"";
    for (String line :
        List.of(
            "fourtuple_destination_ports{" + labels + ",state=\"established\"} 4",
            "fourtuple_destination_ports{" + labels + ",state=\"time_wait\"} 0",
            "fourtuple_destination_free_ports{" + labels + "} 6",
            "fourtuple_destination_projected_free_ports{" + labels + "} 6",
            "fourtuple_source_port_pool{pid=\"42\",jvm=\"com.example.Main\"} 10",
            "fourtuple_connects_total{" + labels + "} 4",
            "fourtuple_connect_failures_total{" + labels + ",cause=\"EADDRNOTAVAIL\"} 1",
            "fourtuple_connect_failures_total{" + labels + ",cause=\"EADDRINUSE\"} 0",
            "fourtuple_rewrites_total{pid=\"42\",jvm=\"com.example.Main\",api=\"java.net.Socket\","
                + "decision=\"applied\"} 2",
            "# TYPE fourtuple_connects_total counter",
            "# TYPE fourtuple_destination_free_ports gauge")) {
      assertTrue(text.contains(line + "\n"), line + " in\n" + text);
    }
    // One tick: no forecast yet, so no sample, only the family's HELP and TYPE.
    assertFalse(text.contains("fourtuple_destination_runs_out_in_seconds{"), text);
    assertFalse(text.contains("fourtuple_destination_sustainable_connects_per_second{"), text);
    assertTrue(text.contains("# TYPE fourtuple_destination_runs_out_in_seconds gauge\n"), text);
    assertWellFormed(text);
  }

  @Test
  void theForecastIsAGaugePerDestination() {
    // Two more held connections every 10 s (as in HeadroomWarningsTest): at t=20 s a forecast.
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    HeadroomWarningsTest.report(ledger, sockets, 2, CONTEXT, 10_000_000_000L);
    LedgerReport r = HeadroomWarningsTest.report(ledger, sockets, 4, CONTEXT, 20_000_000_000L);
    int eta = r.rows.get(0).etaSeconds;
    assertTrue(eta > 0 && eta < 60, "ETA " + eta);
    String text = PrometheusText.render(r, null, null, 42, "app.jar", 50);
    String labels = "{pid=\"42\",jvm=\"app.jar\",destination=\"10.0.0.1:443\"} ";
    for (String line :
        List.of(
            "fourtuple_destination_runs_out_in_seconds" + labels + eta,
            // 10 ports over 60 port-seconds per connect (the window is younger than TIME_WAIT).
            "fourtuple_destination_sustainable_connects_per_second" + labels + (10 / 60.0))) {
      assertTrue(text.contains(line + "\n"), line + " in\n" + text);
    }
    assertWellFormed(text);
  }

  @Test
  void destinationsPastTheCapAreSummedAsOtherWithoutFreePorts() {
    PortLedger ledger = new PortLedger(2, 100, 100);
    for (int d = 1; d <= 4; d++) {
      InetSocketAddress dest = new InetSocketAddress("10.0.0." + d, 80);
      for (int i = 0; i < d; i++) {
        ledger.connected(new Object(), dest, null, 60000 + i);
      }
      ledger.connectFailed(null, dest, null, ConnectFailure.ADDRESS_IN_USE);
    }
    LedgerReport r =
        LedgerReport.build(
            ledger,
            null,
            HeadroomWarningsTest.RANGE,
            CONTEXT,
            0,
            1,
            List.of(),
            3,
            LedgerSettings.ETA_SECONDS);
    String text = PrometheusText.render(r, null, null, 7, "app.jar", 1);
    Set<String> destinations = new LinkedHashSet<>();
    for (String line : text.split("\n")) {
      int at = line.indexOf("destination=\"");
      if (at >= 0) {
        destinations.add(line.substring(at + 13, line.indexOf('"', at + 13)));
      }
    }
    assertEquals(2, destinations.size(), text);
    assertTrue(destinations.contains("other"), text);
    // 10 connects in all: the one destination shown plus the rest (ledger overflow included).
    long connects = 0;
    long failures = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("fourtuple_connects_total{")) {
        connects += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
      }
      if (line.startsWith("fourtuple_connect_failures_total{")
          && line.contains("cause=\"EADDRINUSE\"")) {
        failures += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    assertEquals(10, connects, text);
    assertEquals(4, failures, text);
    assertFalse(text.contains("fourtuple_destination_free_ports{"), "no kernel view: " + text);
    assertWellFormed(text);
  }

  @Test
  void labelValuesAreEscapedAndTheJvmIsTheMainClassOrJarName() {
    assertEquals("a\\\\b\\\"c\\n", PrometheusText.escape("a\\b\"c\n"));
    assertEquals("plain", PrometheusText.escape("plain"));
    assertEquals("app.jar", PrometheusText.jvmName("/opt/svc/app.jar --port 8080"));
    assertEquals("com.example.Main", PrometheusText.jvmName("com.example.Main arg"));
    assertEquals("unknown", PrometheusText.jvmName(null));
    assertEquals("EADDRNOTAVAIL", PrometheusText.cause(ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals("timed_out", PrometheusText.cause(ConnectFailure.TIMED_OUT));
  }

  @Test
  void fileIsWrittenWithThePidInItsNameReadableByACollectorAndRemovedAtExitWhenAsked(
      @TempDir Path dir) throws Exception {
    LedgerSettings settings =
        new LedgerSettings(
            ConfigParser.parse(
                "ledger.prometheus.file="
                    + dir.resolve("fourtuple-{pid}.prom")
                    + ",ledger.prometheus.remove.on.exit=true",
                Map.of(),
                Map.of()));
    PrometheusFile file = new PrometheusFile(settings, new AgentStats(), null);
    LedgerReport r =
        HeadroomWarningsTest.report(new PortLedger(10, 100, 100), new ArrayList<>(), 2, CONTEXT);
    Path written = dir.resolve("fourtuple-" + ProcessId.current() + ".prom");
    file.tick(r, DestinationSeries.of(r, 50), false, NOPLogger.NOP_LOGGER);
    assertTrue(Files.readString(written).contains("fourtuple_destination_free_ports{"));
    assertEquals(
        "rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)));
    try (var listing = Files.list(dir)) {
      assertEquals(1, listing.count(), "no temporary file left");
    }
    file.tick(r, DestinationSeries.of(r, 50), true, NOPLogger.NOP_LOGGER);
    assertFalse(Files.exists(written));
  }

  @Test
  void noFileWhenTheSettingIsNone() throws Exception {
    LedgerSettings settings = new LedgerSettings(ConfigParser.parse("", Map.of(), Map.of()));
    assertEquals(null, settings.prometheus);
  }

  /** The dashboard and the alert rules in docs/ use only names the agent writes. */
  @Test
  void docsUseOnlyTheNamesTheAgentWrites() throws Exception {
    LingerGuard linger =
        new LingerGuard(
            ConfigParser.parse("", Map.of(), Map.of()),
            new Reporter(NOPLogger.NOP_LOGGER, finding -> {}),
            FakeSocketOptions.available());
    PortLedger ledger = new PortLedger(10, 100, 100);
    String text =
        PrometheusText.render(
            HeadroomWarningsTest.report(ledger, new ArrayList<>(), 1, CONTEXT),
            new AgentStats(),
            linger,
            1,
            "x",
            50);
    Set<String> written = new LinkedHashSet<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        written.add(line.split(" ")[2]);
      }
    }
    assertEquals(11, written.size(), text);
    Path docs = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("../docs");
    for (String name :
        List.of("grafana-dashboard.json", "prometheus-alerts.yml", "prometheus.md")) {
      Matcher m =
          Pattern.compile("fourtuple_[a-z_]+").matcher(Files.readString(docs.resolve(name)));
      Set<String> used = new LinkedHashSet<>();
      while (m.find()) {
        used.add(m.group());
      }
      assertFalse(used.isEmpty(), name);
      used.removeAll(written);
      assertTrue(used.isEmpty(), name + " uses names the agent does not write: " + used);
    }
  }

  /**
   * Every family has HELP and TYPE before its samples; every sample line has the format's shape.
   */
  static void assertWellFormed(String text) {
    assertTrue(text.endsWith("\n"), text);
    Set<String> typed = new LinkedHashSet<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        typed.add(line.split(" ")[2]);
      } else if (!line.startsWith("# HELP ")) {
        assertTrue(SAMPLE.matcher(line).matches(), line);
        assertTrue(typed.contains(line.substring(0, line.indexOf('{'))), line);
        assertTrue(line.contains("pid=\"") && line.contains("jvm=\""), line);
      }
    }
  }
}
