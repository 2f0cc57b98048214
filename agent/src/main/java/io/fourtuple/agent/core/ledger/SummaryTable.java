package io.fourtuple.agent.core.ledger;

import java.util.Locale;

/** The compact per-destination table the ledger logs: the tightest destinations first. */
public final class SummaryTable {
  static final int ROWS = 20;

  /** One format for the column names and the rows, so they stay aligned. */
  private static final String ROW = "%-24s %6s %6s %9s %7s %6s %6s %6s %-12s %11s %9s %8s  %s%n";

  private SummaryTable() {}

  /**
   * The table's rows without the header line (the part compared to decide whether anything
   * changed).
   */
  public static String body(LedgerReport r) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            ROW,
            "destination",
            "live",
            "peak",
            "total",
            "rate/s",
            "estab",
            "tw",
            "fail",
            "setup",
            "free/pool",
            "projected",
            "runs out",
            "top call site"));
    int n = 0;
    for (LedgerReport.Row row : r.rows) {
      if (n++ == ROWS) {
        out.append(String.format(Locale.ROOT, "... %d more destinations%n", r.rows.size() - ROWS));
        break;
      }
      out.append(
          String.format(
              Locale.ROOT,
              ROW,
              row.destination,
              row.live,
              row.peak,
              row.total,
              LedgerReport.rateText(row.ratePerSecond),
              row.kernelKnown ? String.valueOf(row.established) : "-",
              row.kernelKnown ? String.valueOf(row.timeWait) : "-",
              row.failureTotal,
              row.setup,
              row.headroomKnown ? row.headroom + "/" + row.pool + (row.sharedPool ? "*" : "") : "-",
              row.headroomKnown ? String.valueOf(row.projected) : "-",
              row.etaSeconds < 0 ? "-" : HeadroomWarnings.eta(row.etaSeconds).replace("in ", ""),
              row.callSites.isEmpty() ? "-" : row.callSites.get(0).getKey()));
    }
    return out.toString();
  }

  /** The header line: pool, kernel read, totals. */
  public static String header(LedgerReport r) {
    StringBuilder out = new StringBuilder("port ledger: ");
    out.append(r.destinations).append(" destinations");
    if (r.overflowConnects > 0) {
      out.append(" (cap ")
          .append(r.maxDestinations)
          .append(" reached: ")
          .append(r.overflowConnects)
          .append(" connects to others summed in one row)");
    }
    out.append(", ").append(r.followedSockets).append(" sockets followed");
    if (r.range != null) {
      out.append(
          String.format(
              Locale.ROOT,
              "; pool %d-%d = %,d ports (%d reserved), connect() prefers %s ports",
              r.range.low(),
              r.range.high(),
              r.range.usable(),
              r.range.reservedInRange(),
              r.range.connectParityName()));
    }
    if (r.kernelAvailable) {
      out.append(
          String.format(
              Locale.ROOT,
              "; kernel table %,d sockets read in %.1f ms, %d listener ports in the range",
              r.kernelRows,
              r.kernelReadMillis,
              r.listenerPortsInRange));
    } else {
      out.append("; kernel table unavailable");
    }
    out.append(" (* = shared pool: bind-before-connect)");
    return out.toString();
  }
}
