package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.connect.ConnectFailure;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

/**
 * The per-destination MBeans: their names (quoted, IPv6 too, matched by the rules file's pattern),
 * the set registered following the destinations shown, and numbers equal to the Prometheus file's.
 * Each test has an MBean server of its own.
 */
class DestinationMBeansTest {
  private static final LedgerReport.Context CONTEXT = new LedgerReport.Context(false, true, null);

  /** The pattern docs/otel-jmx-rules.yaml matches the destinations with. */
  private static final String RULES_PATTERN = "io.fourtuple:type=PortLedger,destination=*";

  @Test
  void namesQuoteTheDestinationAndMatchTheRulesPatternButNotTheLedgerBean() throws Exception {
    ObjectName v4 = DestinationMBeans.name("10.0.0.1:443");
    assertEquals("io.fourtuple:type=PortLedger,destination=\"10.0.0.1:443\"", v4.toString());
    assertEquals("\"10.0.0.1:443\"", v4.getKeyProperty("destination"));
    ObjectName v6 = DestinationMBeans.name("[2001:db8::1]:8080");
    assertEquals("\"[2001:db8::1]:8080\"", v6.getKeyProperty("destination"));
    assertEquals("[2001:db8::1]:8080", ObjectName.unquote(v6.getKeyProperty("destination")));
    ObjectName pattern = new ObjectName(RULES_PATTERN);
    assertTrue(pattern.apply(v4));
    assertTrue(pattern.apply(v6));
    assertFalse(pattern.apply(new ObjectName(PortLedgerMBean.NAME)));
    assertFalse(new ObjectName(PortLedgerMBean.NAME).apply(v4));
  }

  @Test
  void beansFollowTheDestinationsShownAndGoAtClose() throws Exception {
    MBeanServer server = MBeanServerFactory.newMBeanServer();
    PortLedger ledger = new PortLedger(10, 100, 100);
    // The ledger's labels: an IPv6 address as InetAddress.getHostAddress() writes it.
    List<String> destinations = List.of("10.0.0.1:80", "10.0.0.2:80", "[2001:db8:0:0:0:0:0:3]:80");
    for (int d = 0; d < destinations.size(); d++) {
      InetSocketAddress dest =
          new InetSocketAddress(
              d == 2 ? "2001:db8::3" : "10.0.0." + (d + 1), 80); // no name lookup: literals
      for (int i = 0; i <= d; i++) {
        ledger.connected(new Object(), dest, null, 60000 + i);
      }
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
    DestinationMBeans beans = new DestinationMBeans(server);

    List<DestinationSeries> all = DestinationSeries.of(r, 10);
    beans.update(all, false, NOPLogger.NOP_LOGGER);
    assertEquals(Set.of(), registered(server), "a tick that may not register (exit) adds none");

    beans.update(all, true, NOPLogger.NOP_LOGGER);
    assertEquals(Set.copyOf(destinations), registered(server));
    assertEquals(Set.copyOf(destinations), beans.registered());
    ObjectName v6 = DestinationMBeans.name("[2001:db8:0:0:0:0:0:3]:80");
    assertEquals("2001:db8:0:0:0:0:0:3", server.getAttribute(v6, "PeerAddress"));
    assertEquals(80, server.getAttribute(v6, "PeerPort"));
    assertEquals("80", server.getAttribute(v6, "PeerPortText"));
    assertEquals(3L, server.getAttribute(v6, "Connects"));

    // The cap shrinks the set shown to the first series (the rest become "other", no bean).
    List<DestinationSeries> one = DestinationSeries.of(r, 1);
    assertEquals(2, one.size());
    assertTrue(one.get(1).isOther());
    beans.update(one, true, NOPLogger.NOP_LOGGER);
    assertEquals(Set.of(one.get(0).label), registered(server));

    beans.update(all, true, NOPLogger.NOP_LOGGER);
    assertEquals(Set.copyOf(destinations), registered(server), "shown again: registered again");

    beans.close();
    assertEquals(Set.of(), registered(server));
    beans.update(all, true, NOPLogger.NOP_LOGGER);
    assertEquals(Set.of(), registered(server), "closed for good (detach, exit)");
  }

  @Test
  void aNameTakenAlreadyIsSkippedAndTheOthersAreRegistered() throws Exception {
    MBeanServer server = MBeanServerFactory.newMBeanServer();
    PortLedger ledger = new PortLedger(10, 100, 100);
    ledger.connected(new Object(), new InetSocketAddress("10.0.0.1", 80), null, 60000);
    ledger.connected(new Object(), new InetSocketAddress("10.0.0.2", 80), null, 60001);
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
    List<DestinationSeries> series = DestinationSeries.of(r, 10);
    // Someone else holds the first name: that registration fails, the tick goes on.
    ObjectName taken = DestinationMBeans.name(series.get(0).label);
    server.registerMBean(new DestinationMBean(series.get(0)), taken);
    DestinationMBeans beans = new DestinationMBeans(server);
    beans.update(series, true, NOPLogger.NOP_LOGGER);
    assertEquals(Set.of(series.get(1).label), beans.registered());
    beans.close();
    assertTrue(server.isRegistered(taken), "a bean this instance did not register stays");
  }

  @Test
  void numbersAreThoseOfThePrometheusFileForTheSameSeries() throws Exception {
    MBeanServer server = MBeanServerFactory.newMBeanServer();
    PortLedger ledger = new PortLedger(10, 100, 100);
    ledger.connectFailed(
        null, HeadroomWarningsTest.DEST, null, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    ledger.connectFailed(
        null, HeadroomWarningsTest.DEST, null, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    ledger.connectFailed(null, HeadroomWarningsTest.DEST, null, ConnectFailure.ADDRESS_IN_USE);
    LedgerReport r = HeadroomWarningsTest.report(ledger, new ArrayList<>(), 4, CONTEXT);
    List<DestinationSeries> series = DestinationSeries.of(r, 50);
    String text = PrometheusText.render(r, series, null, null, 1, "app.jar");
    DestinationMBeans beans = new DestinationMBeans(server);
    beans.update(series, true, NOPLogger.NOP_LOGGER);
    ObjectName name = DestinationMBeans.name("10.0.0.1:443");

    String d = "destination=\"10.0.0.1:443\"";
    assertEquals(
        sample(text, "fourtuple_destination_ports", d + ",state=\"established\""),
        number(server.getAttribute(name, "Established")));
    assertEquals(
        sample(text, "fourtuple_destination_ports", d + ",state=\"time_wait\""),
        number(server.getAttribute(name, "TimeWait")));
    assertEquals(
        sample(text, "fourtuple_destination_free_ports", d),
        number(server.getAttribute(name, "Free")));
    assertEquals(
        sample(text, "fourtuple_destination_projected_free_ports", d),
        number(server.getAttribute(name, "Projected")));
    assertEquals(
        sample(text, "fourtuple_connects_total", d), number(server.getAttribute(name, "Connects")));
    assertEquals(
        sample(text, "fourtuple_connect_failures_total", d + ",cause=\"EADDRNOTAVAIL\""),
        number(server.getAttribute(name, "FailuresEaddrnotavail")));
    assertEquals(
        sample(text, "fourtuple_connect_failures_total", d + ",cause=\"EADDRINUSE\""),
        number(server.getAttribute(name, "FailuresEaddrinuse")));
    // What the numbers are, so that the comparison above compares something.
    assertEquals(4, server.getAttribute(name, "Established"));
    assertEquals(6, server.getAttribute(name, "Free"));
    assertEquals(-1, server.getAttribute(name, "RunsOutInSeconds"), "one tick: no forecast yet");
    assertEquals(2L, server.getAttribute(name, "FailuresEaddrnotavail"));
    assertEquals(1L, server.getAttribute(name, "FailuresEaddrinuse"));

    PortLedgerMBean ledgerBean = new PortLedgerMBean(1);
    assertEquals(-1, ledgerBean.getPool(), "unknown before the first tick");
    ledgerBean.update(r, 0);
    assertEquals(
        sample(text, "fourtuple_source_port_pool", null), String.valueOf(ledgerBean.getPool()));
    assertEquals(10, ledgerBean.getPool());
    beans.close();
  }

  @Test
  void unknownKernelAndHeadroomAreMinusOneWhereTheFileHasNoSeries() throws Exception {
    PortLedger ledger = new PortLedger(10, 100, 100);
    ledger.connected(new Object(), HeadroomWarningsTest.DEST, null, 60000);
    LedgerReport r =
        LedgerReport.build(
            ledger, null, null, CONTEXT, 0, 1, List.of(), 3, LedgerSettings.ETA_SECONDS);
    List<DestinationSeries> series = DestinationSeries.of(r, 50);
    String text = PrometheusText.render(r, series, null, null, 1, "app.jar");
    assertFalse(text.contains("fourtuple_destination_ports{"), text);
    assertFalse(text.contains("fourtuple_destination_free_ports{"), text);
    assertFalse(text.contains("fourtuple_source_port_pool{"), text);
    DestinationMBean bean = new DestinationMBean(series.get(0));
    assertEquals(-1, bean.getEstablished());
    assertEquals(-1, bean.getTimeWait());
    assertEquals(-1, bean.getFree());
    assertEquals(-1, bean.getProjected());
    assertEquals(-1, bean.getRunsOutInSeconds());
    assertEquals(1, bean.getConnects());
    PortLedgerMBean ledgerBean = new PortLedgerMBean(1);
    ledgerBean.update(r, 0);
    assertEquals(-1, ledgerBean.getPool());
  }

  private static Set<String> registered(MBeanServer server) throws Exception {
    Set<String> out = new LinkedHashSet<>();
    for (ObjectName n : server.queryNames(new ObjectName(RULES_PATTERN), null)) {
      out.add(ObjectName.unquote(n.getKeyProperty("destination")));
    }
    return out;
  }

  private static String number(Object value) {
    return String.valueOf(value);
  }

  /** The value of the one sample of {@code metric} whose labels contain {@code labels}. */
  private static String sample(String text, String metric, String labels) {
    Pattern p =
        Pattern.compile("^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
    Matcher m = p.matcher(text);
    String found = null;
    while (m.find()) {
      if (labels == null || m.group(1).contains(labels)) {
        assertEquals(null, found, () -> "two samples of " + metric + " " + labels + " in\n" + text);
        found = m.group(2);
      }
    }
    assertTrue(found != null, () -> "no " + metric + " " + labels + " in\n" + text);
    return found;
  }
}
