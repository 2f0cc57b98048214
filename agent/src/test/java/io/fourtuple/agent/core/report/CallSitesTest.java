package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.ledger.PortLedger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

class CallSitesTest {

  @Test
  void oneEntryPerSiteAndNoneBeyondTheCapWhichIsCounted() {
    CallSites table = new CallSites(2);
    CallSites.Site a = table.site("a");
    assertSame(a, table.site("a"));
    assertTrue(table.site("b") != null);
    assertNull(table.site("c"));
    assertNull(table.site("d"));
    assertSame(a, table.site("a"), "a known site is still found at the cap");
    assertEquals(2, table.sites().size());
    assertEquals(2, table.overCap());
    assertEquals(2, table.max());
  }

  @Test
  void aSiteKeepsOneValuePerKeyAndBoundedKeys() {
    CallSites table = new CallSites(1);
    CallSites.Site s = table.site("a");
    Object first = new Object();
    assertSame(first, s.use("k", first));
    assertSame(first, s.use("k", new Object()), "the first value stays");
    assertSame(first, s.use("k"));
    for (int i = 1; i < CallSites.USES_PER_SITE; i++) {
      s.use(i, i);
    }
    assertNull(s.use("one too many", new Object()));
    assertNull(s.use("one too many"));
    assertEquals(1, table.overCap());
  }

  /**
   * The ledger, the audit and the linger guard share one budget: a window whose budget one part
   * spent fills in no stack for another (each with its own sampler, both would have sampled).
   */
  @Test
  void onePartsStormSpendsTheSamplingBudgetOfAll() throws Exception {
    StackSamplerTest.TestClock clock = new StackSamplerTest.TestClock();
    CallSites table = new CallSites(10, new StackSampler(3, clock), 0);
    Reporter reporter = new Reporter(NOPLogger.NOP_LOGGER, f -> {});
    SocketRecords records = new SocketRecords(1000);
    CallSiteLedger audit = new CallSiteLedger(reporter, records, table);
    PortLedger ledger = new PortLedger(10, records, table);
    for (int i = 0; i < 10; i++) {
      audit.bound(Api.SOCKET, new Object(), BindOutcome.EXPLICIT_PORT, null, 40000);
    }
    assertEquals(10, audit.seen(CallSiteLedger.Kind.EXPLICIT_SOURCE_PORT));
    assertEquals(3, audit.sampled(CallSiteLedger.Kind.EXPLICIT_SOURCE_PORT));

    // 64 connects to one destination: the first 8 always fill in a stack, the 64th is a candidate
    // for the shared sampler, whose window is spent.
    InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), 80);
    for (int i = 0; i < 64; i++) {
      ledger.connected(new Object(), to, null, 40000 + i);
    }
    assertEquals(8, ledger.drainSamples(null));

    // A new window, seen by the sampler within a few events (it reads the clock at one in 16 once
    // the budget is spent): it has budget left for the ledger's next candidate.
    clock.now += StackSamplerTest.WINDOW;
    while (!table.take()) {
      // until the sampler looks at the clock
    }
    for (int i = 0; i < 64; i++) {
      ledger.connected(new Object(), to, null, 41000 + i);
    }
    int drained = ledger.drainSamples(null);
    assertEquals(1, drained);
    assertEquals(1, table.sites().size(), "the ledger's samples all name this test's frame");
    assertFalse(table.sites().get(0).text.isEmpty());
  }

  /**
   * The first origins are taken whatever the budget (a burst of channels at start must not leave
   * its later destinations named by event-loop frames); past them, only within the budget.
   */
  @Test
  void theFirstOriginsAreTakenWhateverTheBudget() {
    CallSites table = new CallSites(10, new StackSampler(1, new StackSamplerTest.TestClock()), 2);
    assertTrue(table.take()); // this window's budget of 1 is spent
    assertFalse(table.take());
    assertTrue(table.takeOrigin());
    assertTrue(table.takeOrigin());
    assertFalse(table.takeOrigin()); // past the free ones: the spent budget
  }

  /**
   * A Netty channel created on the application's thread keeps that thread's stack as its origin:
   * the ledger's connect site, the audit's bind site, failures and linger findings name the
   * application's frame although the bind and connect run on an event loop. Taken only within the
   * shared budget; past it, and for accepted (parent) or non-client channels, the event loop's own
   * stack names the site.
   */
  @Test
  void anOriginTakenWhereTheChannelIsMadeNamesItsSiteOnTheEventLoop() throws Exception {
    StackSamplerTest.TestClock clock = new StackSamplerTest.TestClock();
    CallSites table = new CallSites(10, new StackSampler(2, clock), 0);
    SocketRecords records = new SocketRecords(100);
    java.util.List<Finding> findings = new java.util.ArrayList<>();
    Reporter reporter = new Reporter(NOPLogger.NOP_LOGGER, findings::add);
    PortLedger ledger = new PortLedger(10, records, table);
    CallSiteLedger audit = new CallSiteLedger(reporter, records, table);
    io.fourtuple.agent.core.config.AgentConfig config =
        io.fourtuple.agent.core.config.ConfigParser.parse(
            "mode=audit", java.util.Map.of(), java.util.Map.of());
    io.fourtuple.agent.core.SocketEventHandler handler =
        new io.fourtuple.agent.core.SocketEventHandler(
            config,
            io.fourtuple.agent.platform.FakeSocketOptions.available(),
            new io.fourtuple.agent.core.AgentStats(),
            reporter,
            records,
            table,
            ledger,
            audit,
            io.fourtuple.agent.core.bind.PortSlice.NONE);
    int epoll = io.fourtuple.bootstrap.SocketHooks.API_NETTY_EPOLL;
    int created = io.fourtuple.bootstrap.SocketHooks.CHANNEL_CREATED;
    Object made = new shaded.io.netty.channel.epoll.EpollSocketChannel();
    Object accepted = new shaded.io.netty.channel.epoll.EpollSocketChannel();
    Object server = new shaded.io.netty.channel.epoll.EpollServerSocketChannel();
    Object late = new shaded.io.netty.channel.epoll.EpollSocketChannel();
    handler.on(created, epoll, accepted, server, null, null, 0, false); // a parent: skipped
    handler.on(created, epoll, server, null, null, null, 0, false); // not a client: skipped
    assertEquals(0, records.origins());
    // A budget of 2 in this window: the origin, then the audit's sample of its bind.
    applicationMakesTheChannel(handler, made);
    assertEquals(1, records.origins());
    onEventLoop(handler, made);
    handler.on(created, epoll, late, null, null, null, 0, false); // the budget is spent
    assertEquals(1, records.origins());
    onEventLoop(handler, late);
    ledger.drainSamples(null);
    java.util.List<String> sites = new java.util.ArrayList<>();
    for (java.util.Map.Entry<String, Long> e : ledger.destinations().get(0).topCallSites(5)) {
      sites.add(e.getKey());
    }
    String origin = "com.example.app.OrderClient.open(";
    assertTrue(sites.stream().anyMatch(s -> s.startsWith(origin)), sites::toString);
    assertTrue(
        sites.stream()
            .anyMatch(
                s ->
                    s.startsWith(
                        "made on epollEventLoopGroup by"
                            + " shaded.io.netty.channel.epoll.EpollEventLoop.run(")),
        sites::toString);
    // The audit's bind sample of the channel with an origin names the application too.
    reporter.flush();
    java.util.List<String> audited = new java.util.ArrayList<>();
    for (Finding f : findings) {
      if (f.kind == Finding.Kind.CALL_SITE) {
        audited.add(f.callSite());
      }
    }
    assertTrue(audited.stream().anyMatch(s -> s.startsWith(origin)), audited::toString);

    // The origin goes with its record.
    handler.on(io.fourtuple.bootstrap.SocketHooks.CLOSING, epoll, made, null, null, null, 0, false);
    assertEquals(0, records.origins());
  }

  /** The bind and the connect of {@code channel} on an "event loop" thread. */
  private static void onEventLoop(io.fourtuple.agent.core.SocketEventHandler handler, Object ch)
      throws InterruptedException {
    InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), 80);
    InetSocketAddress any = new InetSocketAddress(0);
    Object socket = io.fourtuple.agent.platform.NettySockets.socket(ch);
    Thread loop =
        new Thread(
            () -> {
              shaded.io.netty.channel.epoll.EpollEventLoop.run(
                  () -> {
                    handler.bind(Api.NETTY_EPOLL, ch, socket, any, 0, false);
                    handler.connected(Api.NETTY_EPOLL, ch, to, any, 0, true);
                  });
            },
            "epollEventLoopGroup-3-1");
    loop.start();
    loop.join();
  }

  private static void applicationMakesTheChannel(
      io.fourtuple.agent.core.SocketEventHandler handler, Object channel) {
    com.example.app.OrderClient.open(
        () ->
            handler.on(
                io.fourtuple.bootstrap.SocketHooks.CHANNEL_CREATED,
                io.fourtuple.bootstrap.SocketHooks.API_NETTY_EPOLL,
                channel,
                null,
                null,
                null,
                0,
                false));
  }
}
