package io.fourtuple.agent.core.ledger;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

/**
 * The {@link PortLedgerMXBean} implementation: holds the last report, swapped in by the ledger
 * thread.
 *
 * <p>Hazard: asking for the platform MBean server makes it if nobody has, which initializes JMX
 * (and, through it, {@code java.util.logging}); application servers that install their own log
 * manager or MBean server builder must do so first, an application that looks up "the" MBean server
 * with {@code MBeanServerFactory.findMBeanServer} would find one more, and it costs about 250 ms of
 * CPU. So the agent never makes it: {@link #platformServer} finds it once the application, a JMX
 * agent or a tool attaching (jconsole, VisualVM, {@code jcmd ManagementAgent.start}) has made it,
 * and the ledger thread registers at its first tick after that and after the first client socket
 * (see {@link LedgerMonitor}), never in {@code premain} nor at exit; {@code
 * fourtuple.ledger.jmx=false} leaves it out.
 */
final class PortLedgerMBean implements PortLedgerMXBean {
  static final String NAME = "io.fourtuple:type=PortLedger";

  private final long pid;
  private volatile LedgerReport report;
  private volatile int below;

  PortLedgerMBean(long pid) {
    this.pid = pid;
  }

  /**
   * Keeps the report only: its JSON is made when a client asks, so the heap holds one copy of it.
   */
  void update(LedgerReport report, int below) {
    this.report = report;
    this.below = below;
  }

  /**
   * The platform MBean server if it has been made, else null; never makes it. Every server made
   * through {@code MBeanServerFactory} is listed there, the platform one among them, and the
   * platform one is the one holding the JVM's own {@code java.lang:type=Runtime}.
   */
  static MBeanServer platformServer() throws Exception {
    ObjectName runtime = new ObjectName(ManagementFactory.RUNTIME_MXBEAN_NAME);
    for (MBeanServer server : MBeanServerFactory.findMBeanServer(null)) {
      if (server.isRegistered(runtime)) {
        return ManagementFactory.getPlatformMBeanServer();
      }
    }
    return null;
  }

  /** Registers in {@code server}, the platform MBean server; returns the problem, or null. */
  String register(MBeanServer server) {
    try {
      ObjectName name = new ObjectName(NAME);
      if (server.isRegistered(name)) {
        return NAME + " is registered already";
      }
      server.registerMBean(this, name);
      return null;
    } catch (Throwable t) {
      return t.toString();
    }
  }

  /** Removes the MBean if this instance registered it (detach); never throws. */
  void unregister() {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = new ObjectName(NAME);
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    } catch (Throwable ignored) {
      // Nothing registered, or the server is gone: either way nothing is left behind.
    }
  }

  @Override
  public long getConnects() {
    LedgerReport r = report;
    return r == null ? 0 : r.connects;
  }

  @Override
  public int getDestinationCount() {
    LedgerReport r = report;
    return r == null ? 0 : r.destinations;
  }

  @Override
  public long getOverflowConnects() {
    LedgerReport r = report;
    return r == null ? 0 : r.overflowConnects;
  }

  @Override
  public int getFollowedSockets() {
    LedgerReport r = report;
    return r == null ? 0 : r.followedSockets;
  }

  @Override
  public long getClosedByCollector() {
    LedgerReport r = report;
    return r == null ? 0 : r.closedByCollector;
  }

  @Override
  public long getClosedPerKernel() {
    LedgerReport r = report;
    return r == null ? 0 : r.closedPerKernel;
  }

  @Override
  public String getRange() {
    LedgerReport r = report;
    return r == null || r.range == null ? "" : r.range.toString();
  }

  @Override
  public int getPool() {
    LedgerReport r = report;
    return r == null || r.range == null ? -1 : r.range.usable();
  }

  @Override
  public int getWarnThreshold() {
    LedgerReport r = report;
    return r == null ? 0 : r.warnThreshold;
  }

  @Override
  public int getDestinationsBelowThreshold() {
    return below;
  }

  @Override
  public long getLastTickMillis() {
    LedgerReport r = report;
    return r == null ? 0 : r.timeMillis;
  }

  @Override
  public DestinationView[] getDestinations() {
    LedgerReport r = report;
    if (r == null) {
      return new DestinationView[0];
    }
    DestinationView[] out = new DestinationView[r.rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = new DestinationView(r.rows.get(i));
    }
    return out;
  }

  @Override
  public String[] getFindings() {
    LedgerReport r = report;
    return r == null ? new String[0] : r.findings.toArray(new String[0]);
  }

  @Override
  public String getReportJson() {
    LedgerReport r = report;
    return r == null ? "{}" : JsonReport.toJson(r, pid);
  }
}
