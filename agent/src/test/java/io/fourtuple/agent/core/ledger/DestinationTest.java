package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.kernel.Endpoint;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The per-destination port and source sets that every connect to the destination updates. */
class DestinationTest {
  static Destination destination() {
    return new Destination(Endpoint.of(new InetSocketAddress("10.0.0.1", 443)), false);
  }

  static InetAddress ip(String text) throws Exception {
    return InetAddress.getByName(text);
  }

  @Test
  void distinctPortsAcrossTheSwitchToTheBitmap() {
    Destination d = destination();
    for (int round = 0; round < 2; round++) {
      for (int port = 65535; port > 65535 - 3 * Destination.PORT_SET_LIMIT; port -= 3) {
        d.connected(SetupKind.PLAIN_CONNECT, port, null, false);
        if (round == 0 && port == 65535 - 3 * (Destination.PORT_SET_LIMIT - 1)) {
          assertEquals(Destination.PORT_SET_LIMIT, d.distinctPorts(), "the small set is full");
        }
      }
    }
    d.connected(SetupKind.PLAIN_CONNECT, 0, null, false); // port unknown: not counted
    d.connected(SetupKind.PLAIN_CONNECT, 1, null, false);
    assertEquals(Destination.PORT_SET_LIMIT + 1, d.distinctPorts());
    assertEquals(2 * (Destination.PORT_SET_LIMIT) + 2, d.total());
  }

  @Test
  void concurrentConnectsCountEveryDistinctPortOnce() throws Exception {
    final Destination d = destination();
    final int threads = 4;
    final int ports = 3000; // past the small set's limit, so the switch happens under the race
    final CountDownLatch start = new CountDownLatch(1);
    List<Thread> all = new ArrayList<Thread>();
    for (int t = 0; t < threads; t++) {
      final int offset = t;
      Thread th =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < ports; i++) {
                  // every thread adds every port, each from its own starting point
                  d.connected(
                      SetupKind.BIND_PORT_0_NO_PORT,
                      30000 + (i + offset * 700) % ports,
                      null,
                      true);
                }
              });
      th.start();
      all.add(th);
    }
    start.countDown();
    for (Thread th : all) {
      th.join();
    }
    assertEquals(ports, d.distinctPorts());
    assertEquals(threads * ports, d.total());
    assertEquals(threads * ports, d.live(SetupKind.BIND_PORT_0_NO_PORT));
  }

  @Test
  void sourcesAreCappedAndTheRestCounted() throws Exception {
    Destination d = destination();
    d.connected(SetupKind.PLAIN_CONNECT, 40000, ip("0.0.0.0"), false);
    assertEquals(List.of(), d.sources(), "the wildcard is not a source");
    for (int i = 1; i <= Destination.MAX_SOURCES + 2; i++) {
      d.connected(SetupKind.PLAIN_CONNECT, 40000, ip("10.1.0." + i), false);
      d.connected(SetupKind.PLAIN_CONNECT, 40000, ip("10.1.0." + i), false);
    }
    d.sourceSeen(ip("10.1.0.1")); // from the kernel table: known already
    assertEquals(Destination.MAX_SOURCES, d.sources().size());
    assertEquals("10.1.0.1", d.sources().get(0));
    assertEquals(4, d.sourceOverflow(), "two sources past the cap, each seen twice");
    assertEquals(1, d.distinctPorts());
  }

  /**
   * A connect from a port and a source the destination knows takes no lock: it completes while
   * another thread holds the destination's monitor (which a new port or source would wait for).
   */
  @Test
  void aConnectFromAKnownPortAndSourceTakesNoLock() throws Exception {
    final Destination d = destination();
    final InetAddress source = ip("10.1.0.1");
    d.connected(SetupKind.BIND_PORT_0_NO_PORT, 40000, source, true);
    final AtomicBoolean knownDone = new AtomicBoolean();
    final AtomicBoolean newPortDone = new AtomicBoolean();
    Thread known =
        new Thread(
            () -> {
              d.connected(SetupKind.BIND_PORT_0_NO_PORT, 40000, source, true);
              knownDone.set(true);
            });
    Thread newPort =
        new Thread(
            () -> {
              d.connected(SetupKind.BIND_PORT_0_NO_PORT, 40001, source, true);
              newPortDone.set(true);
            });
    synchronized (d) {
      known.start();
      assertTrue(returnedOrBlockedOn(known, knownDone, d), "a known port waited for the lock");
      newPort.start();
      assertFalse(returnedOrBlockedOn(newPort, newPortDone, d), "a new port waits for the lock");
    }
    known.join();
    newPort.join();
    assertEquals(2, d.distinctPorts());
    assertEquals(3, d.live());
    assertEquals(SetupKind.BIND_PORT_0_NO_PORT, d.lastKind());
  }

  @Test
  void noKindBeforeTheFirstConnect() {
    assertNull(destination().lastKind());
    for (SetupKind k : SetupKind.values()) {
      assertEquals(k, SetupKind.ofOrdinal(k.ordinal()));
    }
  }

  /**
   * Waits until {@code t} has set {@code done} (true) or waits for the monitor of {@code lock}
   * (false); a wait for any other monitor (the thread group's, at the thread's exit) is not it.
   */
  private static boolean returnedOrBlockedOn(Thread t, AtomicBoolean done, Object lock) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    while (true) {
      if (done.get()) {
        return true;
      }
      ThreadInfo info = threads.getThreadInfo(t.getId());
      if (info != null
          && info.getThreadState() == Thread.State.BLOCKED
          && info.getLockInfo() != null
          && info.getLockInfo().getIdentityHashCode() == System.identityHashCode(lock)) {
        return false;
      }
      Thread.yield();
    }
  }
}
