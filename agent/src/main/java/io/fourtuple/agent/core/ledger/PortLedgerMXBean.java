package io.fourtuple.agent.core.ledger;

/**
 * The port ledger over JMX, registered as {@code io.fourtuple:type=PortLedger} in the platform
 * MBean server (which opens no port unless the application or its command line asks for remote
 * JMX). Values are those of the last ledger tick. Read-only. Each destination the Prometheus file
 * shows on its own has a flat MBean of its own beside it ({@link DestinationMXBean}).
 */
public interface PortLedgerMXBean {
  /** Connects seen since start. */
  long getConnects();

  int getDestinationCount();

  /** Connects to destinations past the cap, summed in one row. */
  long getOverflowConnects();

  /** Client sockets followed from connect to close now. */
  int getFollowedSockets();

  long getClosedByCollector();

  long getClosedPerKernel();

  /** {@code 32768-60999 (28232 ports)}, or empty when unknown. */
  String getRange();

  /**
   * Usable source ports: the ephemeral range minus reserved ports (as {@code
   * fourtuple_source_port_pool} in the Prometheus file); -1 when unknown.
   */
  int getPool();

  int getWarnThreshold();

  /** Destinations with fewer free ports than the threshold now. */
  int getDestinationsBelowThreshold();

  long getLastTickMillis();

  /** The per-destination table, tightest first. */
  DestinationView[] getDestinations();

  /** Recent warnings, recoveries and exhaustion failures, oldest first (at most 50). */
  String[] getFindings();

  /** The whole report in the JSON report file's schema. */
  String getReportJson();
}
