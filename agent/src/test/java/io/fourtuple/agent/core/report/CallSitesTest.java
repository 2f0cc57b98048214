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
    CallSites table = new CallSites(10, new StackSampler(3, clock));
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
}
