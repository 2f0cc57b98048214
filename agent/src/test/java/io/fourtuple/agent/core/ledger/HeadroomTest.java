package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.kernel.Endpoint;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HeadroomTest {
  static final PortRange RANGE = PortRange.parse("60000 60009", "60009");
  static final Endpoint DEST = Endpoint.of(new InetSocketAddress("10.0.0.1", 443));

  /** A row: local 127.0.0.1:port to 10.0.0.1:443 (or another destination) in a state. */
  static String row(int port, int remoteLastByte, int state, long inode) {
    return String.format(
        "   0: 0100007F:%04X %02X00000A:01BB %02X 00000000:00000000 00:00000000 00000000     0"
            + "        0 %d 1 0 20 0 0 10 -1%n",
        port, remoteLastByte, state, inode);
  }

  static KernelView view(String rows) {
    return KernelView.builder(RANGE, null, null).table("header\n" + rows, false).build();
  }

  @Test
  void perDestinationPoolLessUsedLessHeld() {
    String rows =
        row(60000, 1, 1, 11)
            + row(60001, 1, 6, 0)
            + row(60002, 1, 6, 0)
            + row(60003, 2, 1, 12) // another destination: does not count against this one
            + "   0: 0100007F:EA64 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
            + "        0 99 1 0 100 0 0 10 0\n"; // a listener on 60004 holds it for everyone
    KernelView v = view(rows);
    Headroom h = Headroom.of(RANGE, v, v.destination(DEST), false, 0, 0);
    assertFalse(h.shared());
    assertEquals(9, h.pool(), "60009 is reserved");
    assertEquals(3, h.used());
    assertEquals(1, h.heldForAll());
    assertEquals(5, h.headroom());
    assertEquals(2, h.connectParityUsed); // 60000, 60002
  }

  @Test
  void sharedPoolCountsEveryPortInUse() {
    String rows = row(60000, 1, 1, 11) + row(60003, 2, 1, 12) + row(60005, 3, 6, 0);
    KernelView v = view(rows);
    Headroom h = Headroom.of(RANGE, v, v.destination(DEST), true, 2, 0);
    assertTrue(h.shared());
    assertEquals(3 + 2, h.used(), "three in the table, two bound and not yet in it");
    assertEquals(4, h.headroom());
  }

  @Test
  void timeWaitProjectionUsesTheRate() {
    String rows = row(60000, 1, 6, 0) + row(60001, 1, 6, 0);
    KernelView v = view(rows);
    // 0.1 connects/s keeps 6 ports in TIME_WAIT: 9 - 6 = 3 once steady.
    Headroom h = Headroom.of(RANGE, v, v.destination(DEST), false, 0, 0.1);
    assertEquals(7, h.headroom());
    assertEquals(3, h.projected());
    // At 0/s the TIME_WAIT drains: all 9 come back.
    assertEquals(9, Headroom.of(RANGE, v, v.destination(DEST), false, 0, 0).projected());
  }

  @Test
  void thresholdAsShareOrCount() {
    assertEquals(2824, LedgerSettings.threshold("10%", 28232)); // rounded up
    assertEquals(1, LedgerSettings.threshold("10%", 9));
    assertEquals(1, LedgerSettings.threshold("0%", 9));
    assertEquals(500, LedgerSettings.threshold("500", 28232));
  }
}
