package io.fourtuple.agent.core.ledger;

/**
 * One destination as the MBean shows it (an MXBean maps the getters to a {@code CompositeData}
 * item, so jconsole, VisualVM and any JMX client read it without fourtuple's classes). -1 means
 * unknown.
 */
public final class DestinationView {
  private final LedgerReport.Row row;

  DestinationView(LedgerReport.Row row) {
    this.row = row;
  }

  public String getDestination() {
    return row.destination;
  }

  public int getLive() {
    return row.live;
  }

  public int getPeak() {
    return row.peak;
  }

  public long getTotal() {
    return row.total;
  }

  public double getRatePerSecond() {
    return row.ratePerSecond;
  }

  public long getFailures() {
    return row.failureTotal;
  }

  public int getDistinctPorts() {
    return row.distinctPorts;
  }

  public String getSetup() {
    return row.setup;
  }

  public int getEstablished() {
    return row.kernelKnown ? row.established : -1;
  }

  public int getTimeWait() {
    return row.kernelKnown ? row.timeWait : -1;
  }

  public int getPool() {
    return row.pool;
  }

  public int getFree() {
    return row.headroom;
  }

  public int getProjected() {
    return row.projected;
  }

  public String getModel() {
    return !row.headroomKnown ? "unknown" : row.sharedPool ? "shared" : "per-destination";
  }

  public String getTopCallSite() {
    return row.callSites.isEmpty() ? "" : row.callSites.get(0).getKey();
  }

  public String getCause() {
    return row.cause() == null ? "" : row.cause();
  }
}
