package io.fourtuple.agent.jfr;

import io.fourtuple.agent.core.ledger.LedgerEvents;
import io.fourtuple.agent.core.ledger.LedgerReport;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The ledger's events as JFR events, for JDKs with {@code jdk.jfr} (11+, 8u272+).
 *
 * <p>Hazards: this package is compiled apart from the rest of the agent, to Java 8 bytecode against
 * the build JDK's {@code jdk.jfr} (that API is not part of {@code --release 8}); nothing else in
 * the agent refers to it by type. {@code core.ledger.LedgerMonitor} loads it by name, only after
 * {@code jdk.jfr.FlightRecorder} resolved, so a JDK without JFR never loads these classes. Events
 * are committed on the ledger thread only (no stack: it would be the agent's own).
 *
 * <p>Until JFR is initialized in this JVM (a recording started by {@code -XX:StartFlightRecording},
 * {@code jcmd JFR.start} or the API) no recording can take an event, so none is made: an event
 * class's first use has JFR register and instrument it, measured at about 120 ms of CPU on the
 * ledger thread plus the JIT's work on the class-file code it runs (JDK 25), for nothing. The tick
 * after a recording starts makes them.
 */
public final class JfrLedgerEvents implements LedgerEvents {

  public JfrLedgerEvents() {}

  @Override
  public void exhaustion(
      String destination, boolean atBind, String cause, String callSite, long timeMillis) {
    if (!FlightRecorder.isInitialized()) {
      return;
    }
    PortExhaustion e = new PortExhaustion();
    if (e.shouldCommit()) {
      e.destination = destination;
      e.atBind = atBind;
      e.cause = cause;
      e.callSite = callSite;
      e.failedAt = timeMillis;
      e.commit();
    }
  }

  @Override
  public void headroom(LedgerReport.Row row, int threshold, boolean recovered) {
    if (!FlightRecorder.isInitialized()) {
      return;
    }
    PortHeadroom e = new PortHeadroom();
    if (e.shouldCommit()) {
      e.destination = row.destination;
      e.free = row.headroom;
      e.pool = row.pool;
      e.threshold = threshold;
      e.etaSeconds = row.etaSeconds;
      e.recovered = recovered;
      e.cause = row.cause();
      e.callSite = row.callSites.isEmpty() ? "" : row.callSites.get(0).getKey();
      e.commit();
    }
  }

  @Override
  public void usage(LedgerReport.Row row) {
    if (!FlightRecorder.isInitialized()) {
      return;
    }
    DestinationUsage e = new DestinationUsage();
    if (e.shouldCommit()) {
      e.destination = row.destination;
      e.live = row.live;
      e.peak = row.peak;
      e.total = row.total;
      e.failures = row.failureTotal;
      e.established = row.established;
      e.timeWait = row.timeWait;
      e.free = row.headroom;
      e.projected = row.projected;
      e.etaSeconds = row.etaSeconds;
      e.pool = row.pool;
      e.setup = row.setup;
      e.commit();
    }
  }

  @Name("io.fourtuple.PortExhaustion")
  @Label("Source Port Exhaustion")
  @Category({"fourtuple", "Port Ledger"})
  @Description("A bind or connect failed for want of a source port (EADDRINUSE / EADDRNOTAVAIL)")
  @StackTrace(false)
  static final class PortExhaustion extends Event {
    @Label("Destination")
    String destination;

    @Label("At Bind")
    boolean atBind;

    @Label("Cause")
    String cause;

    @Label("Call Site")
    String callSite;

    @Label("Failed At (epoch ms)")
    long failedAt;
  }

  @Name("io.fourtuple.PortHeadroom")
  @Label("Source Port Headroom Warning")
  @Category({"fourtuple", "Port Ledger"})
  @Description("A destination's free source ports crossed below the threshold, or recovered")
  @StackTrace(false)
  static final class PortHeadroom extends Event {
    @Label("Destination")
    String destination;

    @Label("Free Ports")
    int free;

    @Label("Pool")
    int pool;

    @Label("Threshold")
    int threshold;

    @Label("Runs Out In (s)")
    @Description("Forecast seconds until no port is left, 0 out now, -1 not within ledger.warn.eta")
    int etaSeconds;

    @Label("Recovered")
    boolean recovered;

    @Label("Cause")
    String cause;

    @Label("Top Call Site")
    String callSite;
  }

  @Name("io.fourtuple.DestinationUsage")
  @Label("Destination Source Port Usage")
  @Category({"fourtuple", "Port Ledger"})
  @Description("Per-destination source port use at one ledger tick")
  @StackTrace(false)
  static final class DestinationUsage extends Event {
    @Label("Destination")
    String destination;

    @Label("Live")
    int live;

    @Label("Peak")
    int peak;

    @Label("Total Connects")
    long total;

    @Label("Failures")
    long failures;

    @Label("Established")
    int established;

    @Label("TIME_WAIT")
    int timeWait;

    @Label("Free Ports")
    int free;

    @Label("Projected Free Ports")
    int projected;

    @Label("Runs Out In (s)")
    @Description("Forecast seconds until no port is left, 0 out now, -1 not within ledger.warn.eta")
    int etaSeconds;

    @Label("Pool")
    int pool;

    @Label("Setup")
    String setup;
  }
}
