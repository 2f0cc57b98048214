package io.fourtuple.agent.core.ledger;

/**
 * Where the ledger's events go besides the log: JFR where the JDK has it ({@code
 * io.fourtuple.agent.jfr.JfrLedgerEvents}, loaded by name only when {@code jdk.jfr} exists). Called
 * on the ledger thread only.
 */
public interface LedgerEvents {
  /** A bind or connect failed for want of a source port. */
  void exhaustion(
      String destination, boolean atBind, String cause, String callSite, long timeMillis);

  /**
   * {@code row}'s headroom crossed below {@code threshold} or its forecast ran out within the
   * horizon ({@code etaSeconds} ≥ 0), or ({@code recovered}) it is back above it.
   */
  void headroom(LedgerReport.Row row, int threshold, boolean recovered);

  /** One destination's use at this tick. */
  void usage(LedgerReport.Row row);
}
