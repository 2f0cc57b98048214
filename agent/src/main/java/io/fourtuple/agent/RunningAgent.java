package io.fourtuple.agent;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.audit.CallSitesSection;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.ledger.LedgerMonitor;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.core.report.UtcTime;
import io.fourtuple.agent.core.status.CountersSection;
import io.fourtuple.agent.core.status.FactsSection;
import io.fourtuple.agent.core.status.LedgerSection;
import io.fourtuple.agent.core.status.SocketsSection;
import io.fourtuple.agent.core.status.StatusReport;
import io.fourtuple.agent.core.status.StatusSection;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.platform.KernelInfo;
import io.fourtuple.agent.platform.ProcessId;
import io.fourtuple.bootstrap.Dispatcher;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * Everything one start of the agent put into the JVM, kept so that {@code status} can describe it
 * and {@code detach} can take it out again.
 *
 * <p>Hazards:
 *
 * <ul>
 *   <li>Detach must use the {@link Instrumentation} this start received: the weaver is registered
 *       on it. The one a later {@code agentmain} (the detach command itself) receives is a
 *       different instance; removing the weaver through it restores nothing and says nothing.
 *   <li>Detach order: the dispatcher goes back to its no-op delegate first, so hooks stop working
 *       at once; then the original bytecode is restored. A thread inside a woven method at that
 *       moment finishes on the old method body and calls the no-op dispatcher, which is harmless.
 *   <li>Status and detach run on the JVM's attach listener thread, never on an application thread.
 * </ul>
 */
final class RunningAgent implements AgentControl.Active {
  private final AgentConfig config;
  private final Instrumentation instrumentation;
  private final Installer.Installation installation;
  private final AgentStats stats;
  private final Reporter reporter;
  private final CallSiteLedger sites;
  private final KernelInfo kernel;
  private final String rewrite;
  private final boolean attached;
  private final Thread exitHook;
  private final Logger log;
  private final long startedMillis = System.currentTimeMillis();
  private final int openAtStart;
  private boolean detached;
  private final List<Runnable> detachActions = new ArrayList<Runnable>();
  private volatile LedgerMonitor ledger;
  private volatile LingerGuard linger;

  RunningAgent(
      AgentConfig config,
      Instrumentation instrumentation,
      Installer.Installation installation,
      AgentStats stats,
      Reporter reporter,
      CallSiteLedger sites,
      KernelInfo kernel,
      String rewrite,
      boolean attached,
      Thread exitHook,
      int openAtStart,
      Logger log) {
    this.config = config;
    this.instrumentation = instrumentation;
    this.installation = installation;
    this.stats = stats;
    this.reporter = reporter;
    this.sites = sites;
    this.kernel = kernel;
    this.rewrite = rewrite;
    this.attached = attached;
    this.exitHook = exitHook;
    this.openAtStart = openAtStart;
    this.log = log;
  }

  @Override
  public String mode() {
    return config.mode().name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String describe() {
    return "mode="
        + mode()
        + ", "
        + (attached ? "attached" : "loaded with -javaagent")
        + " at "
        + timestamp(startedMillis)
        + ", fourtuple "
        + AgentStarter.version();
  }

  @Override
  public String status(boolean auditReport, boolean json) {
    List<StatusSection> sections = new ArrayList<StatusSection>();
    sections.add(agentSection());
    if (!auditReport) {
      sections.add(new CountersSection(stats, reporter.dropped()));
    }
    boolean audit = config.mode() == AgentConfig.Mode.AUDIT;
    sections.add(new CallSitesSection(sites, audit, kernel.ephemeralPortCount()));
    sections.add(SocketsSection.read(openAtStart));
    if (ledger != null) {
      sections.add(new LedgerSection(ledger.last(), ProcessId.current()));
    }
    if (linger != null) {
      sections.add(linger.statusSection());
    }
    String title =
        (auditReport ? "fourtuple audit report for pid " : "fourtuple status of pid ")
            + pid()
            + " ("
            + System.getProperty("java.version")
            + ")";
    StatusReport report = new StatusReport(title, sections);
    return json ? report.json() : report.text();
  }

  private StatusSection agentSection() {
    long now = System.currentTimeMillis();
    return new FactsSection("agent")
        .put("version", AgentStarter.version())
        .put("mode", mode())
        .put("loaded", attached ? "hot attach" : "-javaagent")
        .put("since", timestamp(startedMillis))
        .put("observedSeconds", (now - startedMillis) / 1000)
        .put(
            "jdk",
            System.getProperty("java.version") + " (" + System.getProperty("java.vm.vendor") + ")")
        .put("kernel", kernel.osName() + " " + kernel.release())
        .put("ephemeralPorts", kernel.describePortRange())
        .put("rewrite", rewrite)
        .put("woven", installation.woven())
        .put("problems", installation.problems());
  }

  /** The port ledger whose last report {@code status} shows; unset when the ledger is off. */
  synchronized void ledger(LedgerMonitor monitor) {
    this.ledger = monitor;
  }

  /** The SO_LINGER guard whose findings {@code status} shows. */
  synchronized void linger(LingerGuard guard) {
    this.linger = guard;
  }

  /**
   * Something more to undo at detach (a feature's thread, MBean or hook); run after the hooks are
   * out.
   */
  synchronized void onDetach(Runnable action) {
    detachActions.add(action);
  }

  @Override
  public synchronized String detach() {
    if (detached) {
      return "fourtuple was detached already";
    }
    long start = System.nanoTime();
    Dispatcher.reset();
    List<String> woven = installation.woven();
    List<String> failures = new ArrayList<String>(installation.uninstall(instrumentation));
    boolean reporterStopped;
    try {
      reporter.stop(1000);
      reporterStopped = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reporterStopped = false;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(exitHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting; the hook runs anyway and writes the summary.
    }
    for (Runnable action : detachActions) {
      try {
        action.run();
      } catch (Throwable t) {
        failures.add("detach step " + action + ": " + t);
      }
    }
    detached = true;
    AgentControl.detached(this);
    long millis = (System.nanoTime() - start) / 1_000_000;
    String summary = stats.describe();
    String result =
        "detached from pid "
            + pid()
            + " in "
            + millis
            + " ms: dispatcher reset to no-op, original bytecode restored for "
            + (failures.isEmpty() ? woven.toString() : woven + " except " + failures)
            + ", reporter thread "
            + (reporterStopped ? "stopped" : "stopping")
            + ", shutdown hook removed; summary while attached: "
            + summary;
    if (failures.isEmpty()) {
      log.info("fourtuple {}", result);
    } else {
      log.warn("fourtuple {}", result);
    }
    return result;
  }

  static String pid() {
    return ProcessId.text();
  }

  static String timestamp(long millis) {
    return UtcTime.seconds(millis);
  }

  /**
   * Routes findings: call-site samples to the ledger, everything else to the log. The ledger is set
   * once, before the reporter thread starts.
   */
  static final class RoutingWriter implements Reporter.Writer {
    private final Reporter.Writer log;
    private CallSiteLedger sites;

    RoutingWriter(Reporter.Writer log) {
      this.log = log;
    }

    void sites(CallSiteLedger ledger) {
      this.sites = ledger;
    }

    @Override
    public void write(Finding finding) {
      if (finding.kind == Finding.Kind.CALL_SITE) {
        if (sites != null) {
          sites.aggregate(finding);
        }
      } else {
        log.write(finding);
      }
    }
  }
}
