package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.PortRange;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeadroomWarningsTest {
  static final PortRange RANGE = PortRange.parse("60000 60009", "");
  static final InetSocketAddress DEST = new InetSocketAddress("10.0.0.1", 443);

  /** A report where this JVM holds {@code n} established sockets to DEST from 60000 up. */
  static LedgerReport report(
      PortLedger ledger, List<Object> sockets, int n, LedgerReport.Context c) {
    return report(ledger, sockets, n, c, System.nanoTime());
  }

  /** As above, the tick at {@code nowNanos}. */
  static LedgerReport report(
      PortLedger ledger, List<Object> sockets, int n, LedgerReport.Context c, long nowNanos) {
    while (sockets.size() < n) {
      Object s = new Object();
      ledger.connected(s, DEST, null, 60000 + sockets.size());
      sockets.add(s);
    }
    while (sockets.size() > n) {
      ledger.closed(sockets.remove(sockets.size() - 1));
    }
    StringBuilder rows = new StringBuilder("header\n");
    long[] inodes = new long[n];
    for (int i = 0; i < n; i++) {
      inodes[i] = 100 + i;
      rows.append(HeadroomTest.row(60000 + i, 1, 1, 100 + i));
    }
    int epoch = ledger.advanceEpoch();
    KernelView v =
        KernelView.builder(RANGE, OwnSockets.of(inodes), ledger.endpoints())
            .table(rows.toString(), false)
            .build();
    ledger.drainSamples(null);
    ledger.reconcile(v, epoch, RANGE);
    return LedgerReport.build(
        ledger, v, RANGE, c, 0, nowNanos, List.of(), 3, LedgerSettings.ETA_SECONDS);
  }

  @Test
  void aForecastWarnsAboveTheThresholdAndRecoversAfterTwoQuietTicks() {
    // Two more connections every 10 s: at t=20 s, 4 of 10 ports used, 6 free (above the threshold
    // of 3), and at 0.2 connects/s, with ports assumed kept 60 s (the window is younger than
    // that), out in about 36 s.
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    LedgerReport.Context c = new LedgerReport.Context(false, true, null);
    HeadroomWarnings w = new HeadroomWarnings();
    List<String> lines = new ArrayList<>();
    long second = 1_000_000_000L;
    int[] held = {2, 4, 6, 6, 6, 6};
    for (int i = 0; i < held.length; i++) {
      LedgerReport r = report(ledger, sockets, held[i], c, (i + 1) * 10 * second);
      for (HeadroomWarnings.Line line : w.check(r, 3)) {
        lines.add(
            "t=" + (i + 1) * 10 + (line.recovered ? " recovered: " : " warning: ") + line.text);
      }
    }
    assertEquals(2, lines.size(), lines::toString);
    assertTrue(
        lines
            .get(0)
            .matches(
                "t=20 warning: 10\\.0\\.0\\.1:443 runs out in ~\\d+ s at 0\\.2 connects/s:"
                    + " 0 TIME_WAIT, 4 established, 6 free \\(sustainable ≈ 0\\.2/s\\)\\. source ports for"
                    + " 10\\.0\\.0\\.1:443 are running out: 6 of 10 free .*"),
        lines.get(0));
    // t=40 no new connect (the forecast clears), t=50 a second quiet tick: recovered.
    assertTrue(lines.get(1).startsWith("t=50 recovered: "), lines::toString);
  }

  @Test
  void oneWarningPerCrossingAndOneRecovery() {
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    LedgerReport.Context c = new LedgerReport.Context(false, true, null);
    HeadroomWarnings w = new HeadroomWarnings();
    List<String> lines = new ArrayList<>();
    for (int n : new int[] {5, 7, 8, 9, 8, 7, 6, 9}) {
      for (HeadroomWarnings.Line line : w.check(report(ledger, sockets, n, c), 3)) {
        lines.add(n + (line.recovered ? " recovered: " : " warning: ") + line.text);
      }
    }
    assertEquals(3, lines.size(), lines::toString);
    assertTrue(
        lines
            .get(0)
            .startsWith("8 warning: source ports for 10.0.0.1:443 are running out: 2 of 10 free"),
        lines.get(0));
    assertTrue(lines.get(0).contains("8 used toward it from the busiest source IP"), lines.get(0));
    assertTrue(
        lines
            .get(0)
            .contains("Cause: 8 open connections to it (8 from this JVM, 0 from other processes)"),
        lines.get(0));
    assertTrue(lines.get(0).contains("Call sites: org.junit"), lines.get(0));
    assertTrue(lines.get(0).contains("fourtuple: nothing it can change"), lines.get(0));
    assertTrue(lines.get(0).contains("connect() tries even ports first"), lines.get(0));
    // 3 free is not enough to clear (threshold 3 + margin 1); 4 free (n=6) clears.
    assertTrue(
        lines
            .get(1)
            .startsWith("6 recovered: source ports for 10.0.0.1:443 recovered: 4 of 10 free"),
        lines.get(1));
    assertTrue(lines.get(2).startsWith("9 warning:"), lines.get(2));
    assertEquals(1, w.belowCount());
  }

  @Test
  void sharedPoolWarningSaysWhatEnforceWouldDo() {
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Object s = new Object();
      ledger.bound(Api.SOCKET, s, BindOutcome.WOULD_APPLY, null, 0);
      sockets.add(s);
      ledger.connected(s, DEST, null, 60000 + i);
    }
    LedgerReport r = report(ledger, sockets, 8, new LedgerReport.Context(true, false, null));
    List<HeadroomWarnings.Line> lines = new HeadroomWarnings().check(r, 3);
    assertEquals(1, lines.size());
    String text = lines.get(0).text;
    assertTrue(
        text.contains(
            "bind-before-connect reserves a port per socket: all destinations share 10 ports"),
        text);
    assertTrue(
        text.contains(
            "audit mode, nothing changed: enforce mode would set IP_BIND_ADDRESS_NO_PORT"),
        text);
    assertFalse(lines.get(0).recovered);
  }

  @Test
  void timeWaitLeftByABurstOfClosesIsNotBlamedOnShortConnections() {
    // The application held 9 connections and closed them all at once (a pool shutting down): the
    // kernel keeps 9 ports in TIME_WAIT with no connects going on, so "r/s x 60 s" explains
    // nothing.
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      Object s = new Object();
      ledger.connected(s, DEST, null, 60000 + i);
      sockets.add(s);
    }
    for (Object s : sockets) {
      ledger.closed(s);
    }
    StringBuilder rows = new StringBuilder("header\n");
    for (int i = 0; i < 9; i++) {
      rows.append(HeadroomTest.row(60000 + i, 1, 6, 0));
    }
    int epoch = ledger.advanceEpoch();
    KernelView v =
        KernelView.builder(RANGE, OwnSockets.of(new long[0]), ledger.endpoints())
            .table(rows.toString(), false)
            .build();
    ledger.drainSamples(null);
    ledger.reconcile(v, epoch, RANGE);
    LedgerReport.Context c = new LedgerReport.Context(false, true, null);
    // Far enough in the future that the 9 connects do not count as a current rate.
    long later = System.nanoTime() + 3_600_000_000_000L;
    LedgerReport report =
        LedgerReport.build(ledger, v, RANGE, c, 0, later, List.of(), 3, LedgerSettings.ETA_SECONDS);
    String cause = report.rows.get(0).cause();
    assertTrue(cause.startsWith("TIME_WAIT after a burst of closes: 9 ports wait out"), cause);
    assertFalse(cause.contains("short connections"), cause);
  }
}
