package io.fourtuple.agent.core.ledger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One warning per crossing: a destination whose free source ports fall below the threshold, or
 * whose {@link Forecast} runs out within the horizon, is warned about once (the forecast first,
 * "127.0.0.1:7402 runs out in ~3 min at ..."), with the numbers, the cause in plain words, its call
 * sites and what fourtuple did; when it climbs back to the threshold plus a margin (a tenth of it,
 * at least one port, so a destination hovering at the line does not flap) and two ticks have passed
 * without a forecast within the horizon, one recovery line. State per destination is one map entry,
 * bounded by the destination cap.
 */
final class HeadroomWarnings {
  /** A line to log and its kind. */
  static final class Line {
    final boolean recovered;
    final String text;
    final LedgerReport.Row row;

    Line(boolean recovered, String text, LedgerReport.Row row) {
      this.recovered = recovered;
      this.text = text;
      this.row = row;
    }
  }

  private final Map<String, Boolean> below = new HashMap<String, Boolean>();

  List<Line> check(LedgerReport report, int threshold) {
    List<Line> out = new ArrayList<Line>();
    int margin = Math.max(1, threshold / 10);
    for (LedgerReport.Row row : report.rows) {
      if (!row.headroomKnown) {
        continue;
      }
      boolean was = below.containsKey(row.destination);
      if (!was && (row.headroom < threshold || row.etaSeconds >= 0)) {
        below.put(row.destination, Boolean.TRUE);
        out.add(new Line(false, warning(row, threshold, report), row));
      } else if (was && row.headroom >= threshold + margin && row.etaQuietTicks >= 2) {
        below.remove(row.destination);
        out.add(new Line(true, recovery(row, threshold), row));
      }
    }
    return out;
  }

  int belowCount() {
    return below.size();
  }

  static String warning(LedgerReport.Row row, int threshold, LedgerReport report) {
    StringBuilder out = new StringBuilder();
    if (row.etaSeconds >= 0) {
      out.append(forecast(row)).append(". ");
    }
    out.append(
        String.format(
            Locale.ROOT,
            "source ports for %s are running out: %,d of %,d free (warning below %,d; %s)",
            row.destination,
            row.headroom,
            row.pool,
            threshold,
            row.sharedPool
                ? String.format(
                    Locale.ROOT, "%,d ports of the shared pool in use by any socket", row.used)
                : String.format(
                    Locale.ROOT,
                    "%,d used toward it from the busiest source IP, %,d held for every destination",
                    row.used,
                    row.heldForAll)));
    out.append(
        String.format(
            Locale.ROOT,
            "; %,d established, %,d TIME_WAIT, %s connects/s, projected %,d free at this rate",
            row.established,
            row.timeWait,
            LedgerReport.rateText(row.ratePerSecond),
            row.projected));
    out.append(". Cause: ").append(row.cause()).append('.');
    int connectHalfUsed = row.connectParityUsed;
    if (report.range != null && connectHalfUsed * 2 >= row.connectParityPool) {
      out.append(
          String.format(
              Locale.ROOT,
              " connect() tries %s ports first: %,d of %,d used toward it; past them it searches"
                  + " the %s half under a spinlock, so system CPU climbs before connects fail.",
              report.range.connectParityName(),
              connectHalfUsed,
              row.connectParityPool,
              report.range.bindParityName()));
    }
    out.append(" Call sites: ").append(callSites(row)).append('.');
    out.append(" fourtuple: ").append(row.action()).append('.');
    return out.toString();
  }

  /**
   * {@code 127.0.0.1:7402 runs out in ~3 min at 42 connects/s: 1,130 TIME_WAIT, 18 established, 12
   * free (sustainable ≈ 20/s)}.
   */
  static String forecast(LedgerReport.Row row) {
    return String.format(
        Locale.ROOT,
        "%s runs out %s at %s connects/s: %,d TIME_WAIT, %,d established, %,d free%s",
        row.destination,
        eta(row.etaSeconds),
        LedgerReport.rateText(row.forecastRate),
        row.timeWait,
        row.established,
        row.headroom,
        row.sustainableRate < 0
            ? ""
            : " (sustainable ≈ " + LedgerReport.rateText(row.sustainableRate) + "/s)");
  }

  /** {@code now}, {@code in ~40 s}, {@code in ~3 min}. */
  static String eta(int seconds) {
    if (seconds <= 0) {
      return "now";
    }
    return seconds < 100 ? "in ~" + seconds + " s" : "in ~" + (seconds + 30) / 60 + " min";
  }

  static String recovery(LedgerReport.Row row, int threshold) {
    return String.format(
        Locale.ROOT,
        "source ports for %s recovered: %,d of %,d free (warning below %,d)",
        row.destination,
        row.headroom,
        row.pool,
        threshold);
  }

  static String callSites(LedgerReport.Row row) {
    if (row.callSites.isEmpty()) {
      return "none sampled yet";
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Long> e : row.callSites) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(e.getKey()).append(" (").append(e.getValue()).append(" sampled)");
    }
    return out.toString();
  }
}
