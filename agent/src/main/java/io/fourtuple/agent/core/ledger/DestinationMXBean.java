package io.fourtuple.agent.core.ledger;

/**
 * One destination of the port ledger over JMX, registered as {@code
 * io.fourtuple:type=PortLedger,destination="10.0.0.7:443"} (the value quoted, IPv6 as {@code
 * "[::1]:443"}) for each destination the Prometheus file shows on its own: the tightest first, at
 * most {@code ledger.prometheus.max.destinations}. Flat numeric attributes, so that a rule engine
 * that reads one attribute per metric (OpenTelemetry's JMX metric insight, docs/otel.md) can map
 * them. The numbers are those of the file's series for the destination at the last tick; -1 means
 * unknown (no kernel table, or no port range). Read-only.
 */
public interface DestinationMXBean {
  /** {@code 10.0.0.7} or {@code ::1}. */
  String getPeerAddress();

  int getPeerPort();

  /**
   * The port as text: JMX metric insight's {@code beanattr()} takes metric attributes from String
   * attributes only.
   */
  String getPeerPortText();

  /** Sockets to the destination in the kernel's table in state ESTABLISHED. */
  int getEstablished();

  /** Sockets to the destination in the kernel's table in state TIME_WAIT. */
  int getTimeWait();

  /** Source ports still free for new connections to the destination. */
  int getFree();

  /** Free source ports once TIME_WAIT reaches its steady state at the current connect rate. */
  int getProjected();

  /**
   * Seconds until the destination runs out of source ports at its recent connect rate and trend
   * (the ledger's forecast), 0 if out now, -1 if not within {@code ledger.warn.eta} or unknown.
   */
  int getRunsOutInSeconds();

  /** Outbound connections the agent saw to the destination. */
  long getConnects();

  /** Failed connects (and binds) to the destination with EADDRNOTAVAIL. */
  long getFailuresEaddrnotavail();

  /** Failed connects (and binds) to the destination with EADDRINUSE. */
  long getFailuresEaddrinuse();
}
