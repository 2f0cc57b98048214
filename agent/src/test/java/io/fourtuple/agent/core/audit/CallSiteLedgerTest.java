package io.fourtuple.agent.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.JsonWriter;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.logging.AgentLoggers;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallSiteLedgerTest {
  private final List<Finding> submitted = new ArrayList<>();
  private final Reporter reporter =
      new Reporter(AgentLoggers.get(CallSiteLedgerTest.class), submitted::add);
  private final CallSiteLedger ledger = new CallSiteLedger(reporter, 1000);

  @Test
  void aBindIsTiedToItsCallSiteDestinationAndResult() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    for (int i = 0; i < 3; i++) {
      Object socket = new Object();
      pool(socket, loopback);
      ledger.connected(socket, new InetSocketAddress(loopback, 20000 + i % 2), null, 0);
    }
    Object failing = new Object();
    pool(failing, loopback);
    ledger.bindFailed(
        failing, null, new BindException("Address already in use"), ConnectFailure.ADDRESS_IN_USE);
    reporter.flush();
    for (Finding f : submitted) {
      ledger.aggregate(f);
    }

    List<CallSiteLedger.Site> sites = ledger.sites();
    assertEquals(1, sites.size());
    CallSiteLedger.Site site = sites.get(0);
    // The agent's own frames (this test lives in its package) are skipped like the JDK's: the call
    // site is the first frame outside both, here JUnit's.
    assertFalse(site.callSite.startsWith("io.fourtuple.agent."), site.callSite);
    assertEquals(4, site.estimatedCount);
    assertFalse(site.estimated);
    assertEquals(3, site.connected);
    assertEquals(2L, site.destinations.get("127.0.0.1:20000"));
    assertEquals(1L, site.destinations.get("127.0.0.1:20001"));
    assertEquals(1L, site.failures.get("EADDRINUSE (Address already in use) at bind"));

    CallSitesSection audit = new CallSitesSection(ledger, true, 10);
    StringBuilder text = new StringBuilder();
    audit.writeText(text);
    assertTrue(
        text.toString()
            .contains(
                "2 destinations reached so far, room for 20 connections instead of 10 in total"),
        text.toString());
    assertTrue(
        text.toString().contains("fix:     configuration: run with fourtuple in enforce mode"));
    JsonWriter json = new JsonWriter();
    audit.writeJson(json);
    assertTrue(json.toString().contains("\"kind\":\"BIND_PORT_ZERO\""), json.toString());
    assertTrue(json.toString().contains("\"count\":4"), json.toString());
  }

  @Test
  void aPortReadBeforeConnectIsCountedOncePerSocketAndNamedForItsSite() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    Object read = new Object();
    Object notRead = new Object();
    pool(read, loopback);
    pool(notRead, loopback);
    assertTrue(ledger.localPortRead(read, false));
    assertFalse(
        ledger.localPortRead(read, false), "a second read of the same socket is not counted");
    assertFalse(ledger.localPortRead(new Object(), false), "a socket with no pending sample");
    ledger.connected(read, new InetSocketAddress(loopback, 20000), null, 0);
    ledger.connected(notRead, new InetSocketAddress(loopback, 20001), null, 0);
    assertFalse(ledger.localPortRead(read, false), "after connect the read is an ordinary one");
    reporter.flush();
    for (Finding f : submitted) {
      ledger.aggregate(f);
    }
    CallSiteLedger.Site site = ledger.sites().get(0);
    assertEquals(1, site.readBeforeConnect);

    StringBuilder text = new StringBuilder();
    new CallSitesSection(ledger, true, 10).writeText(text);
    assertTrue(
        text.toString().contains("1 of 2 sampled sockets had their local port read before connect"),
        text.toString());
    JsonWriter json = new JsonWriter();
    new CallSitesSection(ledger, false, 10).writeJson(json);
    assertTrue(json.toString().contains("\"localPortReadBeforeConnect\":1"), json.toString());
  }

  @Test
  void serverSocketsAreNotSampledAndAConnectCompletesTheSample() throws Exception {
    Object server = new Object();
    ledger.bound(Api.SOCKET, server, BindOutcome.SERVER_SOCKET, null, 8080);
    Object channel = new Object();
    ledger.bound(Api.SOCKET_CHANNEL, channel, BindOutcome.WOULD_APPLY, null, 0);
    reporter.flush();
    assertTrue(submitted.isEmpty());
    ledger.connected(channel, "somewhere", null, 0);
    reporter.flush();
    assertEquals(1, submitted.size());
    assertEquals(1, ledger.seen(CallSiteLedger.Kind.BIND_PORT_ZERO));
    assertEquals(0, ledger.seen(CallSiteLedger.Kind.EXPLICIT_SOURCE_PORT));
  }

  @Test
  void aStormIsSampledButCountedExactly() {
    for (int i = 0; i < 5000; i++) {
      ledger.bound(Api.SOCKET, new Object(), BindOutcome.EXPLICIT_PORT, null, 40000);
    }
    assertEquals(5000, ledger.seen(CallSiteLedger.Kind.EXPLICIT_SOURCE_PORT));
    long sampled = ledger.sampled(CallSiteLedger.Kind.EXPLICIT_SOURCE_PORT);
    assertTrue(sampled >= CallSites.SAMPLES_PER_WINDOW && sampled <= CallSiteLedger.MAX_PENDING);
  }

  private void pool(Object socket, InetAddress address) {
    ledger.bound(Api.SOCKET, socket, BindOutcome.WOULD_APPLY, address, 0);
  }
}
