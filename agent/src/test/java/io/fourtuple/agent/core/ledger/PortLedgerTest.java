package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.report.CallSites;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortLedgerTest {
  static final InetSocketAddress A = new InetSocketAddress("10.0.0.1", 443);
  static final InetSocketAddress B = new InetSocketAddress("10.0.0.2", 443);
  static final PortRange RANGE = PortRange.parse("60000 60009", "");

  static Destination find(PortLedger l, InetSocketAddress to) {
    for (Destination d : l.destinations()) {
      if (d.label().equals(to.getAddress().getHostAddress() + ":" + to.getPort())) {
        return d;
      }
    }
    throw new AssertionError("no " + to);
  }

  @Test
  void liveFollowsConnectAndClose() {
    PortLedger l = new PortLedger(100, 100, 100);
    Object s1 = new Object();
    Object s2 = new Object();
    l.connected(s1, A, null, 60000);
    l.connected(s2, A, new InetSocketAddress("127.0.0.1", 60001), 0);
    l.connected(s2, A, null, 60001); // a second completion report for the same socket counts once
    Destination a = find(l, A);
    assertEquals(2, a.live());
    assertEquals(2, a.total());
    assertEquals(2, a.distinctPorts());
    assertEquals(List.of("127.0.0.1"), a.sources());
    l.closed(s1);
    l.closed(s1);
    assertEquals(1, a.live());
    assertEquals(2, a.peak());
    assertEquals(2, a.total(SetupKind.PLAIN_CONNECT));
  }

  @Test
  void setupKindComesFromTheBind() {
    PortLedger l = new PortLedger(100, 100, 100);
    Object noPort = new Object();
    Object plainBind = new Object();
    Object explicit = new Object();
    Object listener = new Object();
    l.bound(Api.SOCKET, noPort, BindOutcome.APPLIED, InetAddress.getLoopbackAddress(), 0);
    l.bound(Api.SOCKET, plainBind, BindOutcome.WOULD_APPLY, null, 0);
    l.bound(Api.SOCKET, explicit, BindOutcome.EXPLICIT_PORT, null, 0);
    l.bound(Api.SOCKET, listener, BindOutcome.SERVER_SOCKET, null, 0);
    l.connected(noPort, A, null, 60000);
    l.connected(plainBind, A, null, 60001);
    l.connected(explicit, B, null, 40000);
    Destination a = find(l, A);
    assertEquals(1, a.live(SetupKind.BIND_PORT_0_NO_PORT));
    assertEquals(1, a.live(SetupKind.BIND_PORT_0));
    assertEquals(SetupKind.BIND_PORT_0, a.lastKind());
    assertEquals(List.of("127.0.0.1"), a.sources());
    assertEquals(SetupKind.EXPLICIT_PORT, find(l, B).lastKind());
    assertEquals(3, l.followedSockets(), "the listener is not followed");
  }

  @Test
  void failuresByCauseAndBindFailuresOnlyForFollowedSockets() {
    PortLedger l = new PortLedger(100, 100, 100);
    l.connectFailed(null, A, null, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    l.connectFailed(null, A, null, ConnectFailure.REFUSED);
    Destination a = find(l, A);
    assertEquals(1, a.failures(ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(2, a.failures());
    Object client = new Object();
    l.bound(Api.SOCKET, client, BindOutcome.WOULD_APPLY, null, 0);
    l.bindFailed(client, "*:0", null, ConnectFailure.ADDRESS_IN_USE);
    l.bindFailed(new Object(), "*:8080", null, ConnectFailure.ADDRESS_IN_USE); // a listener's bind
    assertEquals(1, l.bindFailures(ConnectFailure.ADDRESS_IN_USE));
    List<String> failures = new ArrayList<>();
    l.drainSamples((to, atBind, cause, site, t) -> failures.add(to + " " + atBind + " " + cause));
    assertEquals(
        List.of("10.0.0.1:443 false ADDRESS_NOT_AVAILABLE", "*:0 true ADDRESS_IN_USE"), failures);
  }

  @Test
  void destinationsPastTheCapGoToTheOverflowRow() {
    PortLedger l = new PortLedger(2, 100, 100);
    for (int i = 0; i < 5; i++) {
      l.connected(new Object(), new InetSocketAddress("10.0.1." + i, 80), null, 60000 + i);
    }
    assertEquals(2, l.destinations().size());
    assertEquals(3, l.overflow().total());
    assertEquals(3, l.overflowConnects());
    LedgerReport r =
        LedgerReport.build(
            l,
            null,
            RANGE,
            new LedgerReport.Context(false, true, null),
            0,
            1,
            List.of(),
            1,
            LedgerSettings.ETA_SECONDS);
    assertEquals(3, r.rows.size());
    assertTrue(r.rows.stream().anyMatch(row -> row.overflow && row.total == 3));
  }

  @Test
  void socketsPastTheCapAreCountedNotFollowed() {
    PortLedger l = new PortLedger(10, 2, 100);
    List<Object> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Object s = new Object();
      held.add(s);
      l.connected(s, A, null, 60000 + i);
    }
    Destination a = find(l, A);
    assertEquals(4, a.total());
    assertEquals(2, a.live(), "only followed sockets are live: their close is seen");
    assertEquals(2, l.untrackedSockets());
    held.forEach(l::closed);
    assertEquals(0, a.live());
  }

  @Test
  void callSitesAreSampledAndCapped() {
    PortLedger l = new PortLedger(10, 100, 1);
    for (int i = 0; i < 3; i++) {
      l.connected(new Object(), A, null, 60000 + i);
    }
    l.drainSamples(null);
    Destination a = find(l, A);
    assertEquals(1, a.topCallSites(3).size());
    assertEquals(3L, a.topCallSites(3).get(0).getValue());
    // The test class is under io.fourtuple.agent, which CallSite skips as the agent's own.
    assertTrue(a.topCallSites(3).get(0).getKey().startsWith("org.junit"));
  }

  @Test
  void aConnectCompletedOnAnotherThreadIsAttributedToTheThreadThatLeftItPending() throws Exception {
    PortLedger l = new PortLedger(10, 100, 100);
    l.connectPending(A);
    assertEquals(0, find(l, A).total(), "pending is not a connect");
    // The completion on a thread with no application frame (as an AsynchronousChannelGroup's
    // poller)...
    Thread poller = new Thread(() -> l.connected(new Object(), A, null, 60000));
    poller.start();
    poller.join();
    // ...and one that was never left pending.
    Thread other = new Thread(() -> l.connected(new Object(), A, null, 60001));
    other.start();
    other.join();
    l.drainSamples(null);
    List<String> sites = new ArrayList<>();
    for (Map.Entry<String, Long> e : find(l, A).topCallSites(3)) {
      sites.add(e.getKey());
    }
    assertEquals(2, sites.size(), sites::toString);
    assertTrue(sites.stream().anyMatch(s -> s.startsWith("org.junit")), sites::toString);
    assertTrue(sites.stream().anyMatch(s -> s.startsWith("unknown")), sites::toString);
  }

  @Test
  void pendingConnectsPastTheDestinationCapAreNotCounted() {
    PortLedger l = new PortLedger(1, 100, 100);
    l.connected(new Object(), A, null, 60000);
    l.connectPending(B);
    l.connectPending(InetSocketAddress.createUnresolved("example.com", 443));
    assertEquals(1, l.destinations().size());
    l.connected(new Object(), B, null, 60001);
    assertEquals(1, l.overflowConnects(), "the overflow row counts the connect once");
  }

  @Test
  void socketsCollectedWithoutCloseAreReconciled() throws Exception {
    PortLedger l = new PortLedger(10, 100, 100);
    Object kept = new Object();
    l.connected(kept, A, null, 60000);
    for (int i = 0; i < 3; i++) {
      l.connected(new Object(), A, null, 60001 + i); // dropped at once, never closed
    }
    Destination a = find(l, A);
    assertEquals(4, a.live());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (a.live() > 1 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
      l.reconcile(null, l.advanceEpoch(), RANGE);
    }
    assertEquals(1, a.live());
    assertEquals(3, l.closedByCollector());
  }

  @Test
  void socketsTheKernelNoLongerShowsAreRemovedOnlyIfConnectedBeforeTheRead() {
    PortLedger l = new PortLedger(10, 100, 100);
    Object closedElsewhere = new Object();
    Object stillOpen = new Object();
    l.connected(closedElsewhere, A, null, 60001);
    l.connected(stillOpen, A, null, 60002);
    int epoch = l.advanceEpoch();
    Object connectedDuringRead = new Object();
    l.connected(connectedDuringRead, A, null, 60003);
    // The kernel shows 60002 as this process's socket to A; 60001 is gone.
    String table =
        "header\n"
            + "   1: 0100007F:EA62 0100000A:01BB 01 00000000:00000000 00:00000000 00000000     0"
            + "        0 777 1 0 20 0 0 10 -1\n";
    KernelView view =
        KernelView.builder(RANGE, OwnSockets.of(777), l.endpoints()).table(table, false).build();
    l.reconcile(view, epoch, RANGE);
    Destination a = find(l, A);
    assertEquals(2, a.live());
    assertEquals(1, l.closedPerKernel());
  }

  @Test
  void bindHeldPortsAreCountedPerDestination() {
    PortLedger l = new PortLedger(10, 100, 100);
    Object s = new Object();
    l.bound(Api.SOCKET, s, BindOutcome.WOULD_APPLY, null, 0);
    l.connected(s, A, null, 60004);
    l.reconcile(null, l.advanceEpoch(), RANGE);
    assertEquals(1, find(l, A).heldForAllInRange);
  }

  /**
   * A connect storm to one destination fills in at most the first 8 stacks plus the sampler's
   * budget per ~134 ms window, not one in 64 connects however fast they come.
   */
  @Test
  void stackSamplesOfAStormStayWithinTheBudget() {
    PortLedger l = new PortLedger(100, 100, 100);
    int connects = 200_000;
    long startWindow = System.nanoTime() >>> 27;
    for (int i = 0; i < connects; i++) {
      l.connected(new Object(), A, null, 0);
    }
    long windows = (System.nanoTime() >>> 27) - startWindow + 1;
    long offered = l.drainSamples(null) + l.samplesDropped();
    assertTrue(offered >= Destination.FIRST_SAMPLES, "the first connects are sampled: " + offered);
    assertTrue(
        offered <= Destination.FIRST_SAMPLES + windows * CallSites.SAMPLES_PER_WINDOW,
        offered + " samples in " + windows + " windows");
    assertEquals(connects, find(l, A).total());
  }
}
