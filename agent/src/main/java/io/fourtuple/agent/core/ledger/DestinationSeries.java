package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.connect.ConnectFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One destination's numbers as the monitoring outputs show them, or the sum of those past the cap:
 * made once per tick from the report and read by both the Prometheus file ({@link PrometheusText})
 * and the per-destination MBeans ({@link DestinationMBeans}), so the two always say the same.
 *
 * <p>Cardinality is bounded: at most {@code max} destinations get a series of their own, the
 * tightest first (the report's order); the rest, and the ledger's own overflow row, are summed
 * under {@link #OTHER}, which has counts but no free ports (a sum of headrooms means nothing, and
 * each of them is at least the last one shown).
 */
final class DestinationSeries {
  static final String OTHER = "other";

  /** Always present per destination (0 until they happen), so a rate sees the first. */
  private static final ConnectFailure[] EXHAUSTION = {
    ConnectFailure.ADDRESS_NOT_AVAILABLE, ConnectFailure.ADDRESS_IN_USE
  };

  /** The row's failure labels ({@link ConnectFailure#label()}) to their errno names. */
  private static final Map<String, String> CAUSES = new HashMap<String, String>();

  static {
    for (ConnectFailure f : ConnectFailure.values()) {
      CAUSES.put(f.label(), cause(f));
    }
  }

  static final String EADDRNOTAVAIL = cause(ConnectFailure.ADDRESS_NOT_AVAILABLE);
  static final String EADDRINUSE = cause(ConnectFailure.ADDRESS_IN_USE);

  /** {@code ip:port} ({@code [v6]:port}), or {@link #OTHER}. */
  final String label;

  boolean kernelKnown;
  int established;
  int timeWait;
  final boolean headroomKnown;
  final int free;
  final int projected;
  final int runsOutInSeconds;

  /** Connects per second it can take for ever (the forecast's), -1 when unknown. */
  final double sustainablePerSecond;

  long connects;

  /** By errno name ({@code EADDRNOTAVAIL}), the two exhaustion errnos always first. */
  final Map<String, Long> failures = new LinkedHashMap<String, Long>(4);

  /** {@code row} null: the sum of the rows past the cap, added one by one. */
  private DestinationSeries(String label, LedgerReport.Row row) {
    this.label = label;
    this.headroomKnown = row != null && row.headroomKnown;
    this.free = row == null ? -1 : row.headroom;
    this.projected = row == null ? -1 : row.projected;
    this.runsOutInSeconds = row == null ? -1 : row.etaSeconds;
    this.sustainablePerSecond = row == null ? -1 : row.sustainableRate;
    for (ConnectFailure f : EXHAUSTION) {
      failures.put(cause(f), 0L);
    }
    if (row != null) {
      add(row);
    }
  }

  /** The report's rows as series: the first {@code max} own ones, then {@link #OTHER} if any. */
  static List<DestinationSeries> of(LedgerReport r, int max) {
    List<DestinationSeries> out =
        new ArrayList<DestinationSeries>(Math.min(r.rows.size(), max) + 1);
    DestinationSeries other = null;
    for (LedgerReport.Row row : r.rows) {
      if (!row.overflow && out.size() < max) {
        out.add(new DestinationSeries(row.destination, row));
      } else {
        if (other == null) {
          other = new DestinationSeries(OTHER, null);
        }
        other.add(row);
      }
    }
    if (other != null) {
      out.add(other);
    }
    return out;
  }

  boolean isOther() {
    return label.equals(OTHER);
  }

  long failures(String cause) {
    Long n = failures.get(cause);
    return n == null ? 0 : n.longValue();
  }

  private void add(LedgerReport.Row row) {
    kernelKnown |= row.kernelKnown;
    established += row.established;
    timeWait += row.timeWait;
    connects += row.total;
    if (row.failures.isEmpty()) {
      return; // most rows: nothing to add, nothing allocated (10,000 rows fold into "other")
    }
    for (Map.Entry<String, Long> f : row.failures.entrySet()) {
      String cause = CAUSES.get(f.getKey());
      if (cause != null) {
        Long before = failures.get(cause);
        failures.put(cause, (before == null ? 0L : before.longValue()) + f.getValue().longValue());
      }
    }
  }

  /** The errno name for a failure label ({@code EADDRNOTAVAIL}), or the label in snake case. */
  static String cause(ConnectFailure f) {
    String label = f.label();
    if (label.startsWith("E")) {
      int space = label.indexOf(' ');
      return space < 0 ? label : label.substring(0, space);
    }
    return label.replace(' ', '_');
  }
}
