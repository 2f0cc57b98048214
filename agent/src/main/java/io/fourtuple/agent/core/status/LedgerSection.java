package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.ledger.JsonReport;
import io.fourtuple.agent.core.ledger.LedgerReport;
import io.fourtuple.agent.core.ledger.SummaryTable;
import io.fourtuple.agent.core.report.JsonWriter;

/**
 * The port ledger's last report in {@code status}: the same table the agent logs and the same JSON
 * the report file holds (schema in docs/ledger-report.schema.json). Reads the report the ledger
 * thread made at its last tick; builds nothing itself.
 */
public final class LedgerSection implements StatusSection {
  private final LedgerReport report;
  private final long pid;

  /**
   * @param report the last report, or null before the ledger's first tick
   */
  public LedgerSection(LedgerReport report, long pid) {
    this.report = report;
    this.pid = pid;
  }

  @Override
  public String name() {
    return "ledger";
  }

  @Override
  public void writeText(StringBuilder out) {
    if (report == null) {
      out.append(
          "  no report yet: the port ledger reports at its first tick after the first client"
              + " socket (fourtuple.ledger.interval)\n");
      return;
    }
    for (String line :
        (SummaryTable.header(report) + "\n" + SummaryTable.body(report)).split("\n")) {
      if (!line.isEmpty()) {
        out.append("  ").append(line).append('\n');
      }
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    if (report == null) {
      json.value((String) null);
    } else {
      json.rawValue(JsonReport.toJson(report, pid));
    }
  }
}
