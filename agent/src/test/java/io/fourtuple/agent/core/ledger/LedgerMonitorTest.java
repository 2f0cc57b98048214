package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.logging.AgentLoggers;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** The ledger's lazy start: nothing runs, registers or reads the kernel before a client socket. */
class LedgerMonitorTest {
  static final InetSocketAddress A = new InetSocketAddress("10.0.0.1", 443);

  static LedgerSettings settings(String args) throws Exception {
    return ConfigParser.parse(args, Map.of(), Map.of()).ledger();
  }

  static LedgerMonitor monitor(LedgerSettings settings, PortLedger ledger) {
    return new LedgerMonitor(
        settings,
        ledger,
        () -> new LedgerReport.Context(false, true, null),
        AgentLoggers.get(LedgerMonitorTest.class));
  }

  static boolean ledgerThreadAlive() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("fourtuple-ledger") && t.isAlive()) {
        return true;
      }
    }
    return false;
  }

  @Test
  void firstUseFiresOnceAtTheFirstClientSocket() {
    PortLedger ledger = new PortLedger(10, 100, 100);
    AtomicInteger fired = new AtomicInteger();
    ledger.onFirstUse(fired::incrementAndGet);
    ledger.bound(
        Api.SOCKET, new Object(), BindOutcome.SERVER_SOCKET, null, 0); // a listener is not a client
    assertEquals(0, fired.get());
    assertFalse(ledger.used());
    ledger.connected(new Object(), A, null, 60000);
    ledger.connected(new Object(), A, null, 60001);
    assertEquals(1, fired.get());
    assertTrue(ledger.used());

    AtomicInteger late = new AtomicInteger();
    ledger.onFirstUse(late::incrementAndGet); // registered after the first use: runs at once
    assertEquals(1, late.get());
  }

  @Test
  void aFailedConnectOrAClientBindIsAUseToo() {
    PortLedger failed = new PortLedger(10, 100, 100);
    AtomicInteger fired = new AtomicInteger();
    failed.onFirstUse(fired::incrementAndGet);
    failed.connectFailed(null, A, null, ConnectFailure.REFUSED);
    assertEquals(1, fired.get());

    PortLedger bound = new PortLedger(10, 100, 100);
    bound.onFirstUse(fired::incrementAndGet);
    bound.bound(Api.SOCKET, new Object(), BindOutcome.APPLIED, null, 0);
    assertEquals(2, fired.get());
  }

  @Test
  void noSocketNoThreadNoExitTick() throws Exception {
    PortLedger ledger = new PortLedger(10, 100, 100);
    LedgerMonitor monitor = monitor(settings("ledger.jmx=false,ledger.jfr=false"), ledger);
    monitor.start();
    assertFalse(ledgerThreadAlive());
    monitor.finish();
    assertNull(monitor.last(), "the exit of a program with no socket runs no tick");
    ledger.connected(new Object(), A, null, 60000); // after finish: starts nothing
    assertFalse(ledgerThreadAlive());
  }

  @Test
  void theFirstSocketStartsTheThreadWhoseFirstTickRegistersTheMBean() throws Exception {
    ObjectName name = new ObjectName(PortLedgerMBean.NAME);
    ObjectName destination = DestinationMBeans.name("10.0.0.1:443");
    PortLedger ledger = new PortLedger(10, 100, 100);
    LedgerMonitor monitor =
        monitor(settings("ledger.interval=100ms,ledger.summary.interval=off"), ledger);
    try {
      monitor.start();
      assertFalse(ledgerThreadAlive());
      assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(name));
      ledger.connected(new Object(), A, null, 60000);
      assertTrue(ledgerThreadAlive());
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!ManagementFactory.getPlatformMBeanServer().isRegistered(name)
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(name));
      LedgerReport report = monitor.tick(false);
      assertNotNull(report);
      assertEquals(1, report.connects);
      assertTrue(
          ManagementFactory.getPlatformMBeanServer().isRegistered(destination),
          "a tick after the ledger's MBean registers the destinations shown");
    } finally {
      monitor.stop();
    }
    assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(name));
    assertFalse(
        ManagementFactory.getPlatformMBeanServer().isRegistered(destination),
        "unregistered at detach");
    assertFalse(ledgerThreadAlive());
  }

  @Test
  void aProgramShorterThanOneIntervalGetsItsExitTickButNoMBean() throws Exception {
    ObjectName name = new ObjectName(PortLedgerMBean.NAME);
    PortLedger ledger = new PortLedger(10, 100, 100);
    LedgerMonitor monitor =
        monitor(settings("ledger.interval=10s,ledger.summary.interval=off"), ledger);
    try {
      monitor.start();
      ledger.connected(new Object(), A, null, 60000);
      assertTrue(ledgerThreadAlive());
      monitor.finish();
      assertNotNull(monitor.last(), "the exit tick reports the socket");
      assertEquals(1, monitor.last().connects);
      assertFalse(
          ManagementFactory.getPlatformMBeanServer().isRegistered(name),
          "no JMX before the first tick, none at exit");
      assertFalse(
          ManagementFactory.getPlatformMBeanServer()
              .isRegistered(DestinationMBeans.name("10.0.0.1:443")));
    } finally {
      monitor.stop();
    }
  }
}
