package io.fourtuple.agent;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.SocketEventHandler;
import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.ledger.LedgerMonitor;
import io.fourtuple.agent.core.ledger.LedgerReport;
import io.fourtuple.agent.core.ledger.LedgerSettings;
import io.fourtuple.agent.core.ledger.PortLedger;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.FindingWriter;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.core.status.SocketsSection;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.logging.AgentLoggers;
import io.fourtuple.agent.platform.KernelInfo;
import io.fourtuple.agent.platform.NettySockets;
import io.fourtuple.agent.platform.SocketOptions;
import io.fourtuple.bootstrap.Dispatcher;
import java.lang.instrument.Instrumentation;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * The running agent: probes, the hook delegate, the transformer, the exit summary.
 *
 * <p>Hazard: this class links against {@code io.fourtuple.bootstrap}. It must not be loaded before
 * {@link Installer#prepare} has defined those classes in the bootstrap loader, or the agent's own
 * loader would load a second copy and linking would fail with a loader constraint violation. {@link
 * AgentStarter} calls it only after that.
 */
final class AgentRuntime {
  private AgentRuntime() {}

  static void start(
      AgentConfig config,
      Instrumentation instrumentation,
      boolean attached,
      Logger log,
      long startNanos) {
    if (Installer.bootstrapPresent() && Dispatcher.installed() != null) {
      log.info(
          "fourtuple is already running in this JVM; this {} changed nothing",
          attached ? "attach" : "agent load");
      return;
    }

    // The weaver goes in first: the probe initializes sun.nio.ch.Net, which on JDK 25 loads
    // SocketChannelImpl (through InetAddress and Security); woven as it loads, it needs no
    // retransformation. Until the delegate is installed below, the woven hooks do nothing.
    boolean nettyOn = "true".equals(config.value(Setting.NETTY_ENABLED));
    long installNanos = System.nanoTime();
    Installer.Installation installation = Installer.install(instrumentation, nettyOn);
    long probeNanos = System.nanoTime();
    KernelInfo kernel = KernelInfo.current();
    SocketOptions options = SocketOptions.ForJdkNet.probe(kernel);
    // Netty's descriptors are wrapped for that same mechanism; resolved here, never inside a hook.
    String nettyProblem = nettyOn ? NettySockets.prepare() : null;
    boolean nettyRewritten = nettyOn && nettyProblem == null;
    AgentStats stats = new AgentStats();
    RunningAgent.RoutingWriter writer = new RunningAgent.RoutingWriter(new FindingWriter(log));
    Reporter reporter = new Reporter(log, writer);
    CallSiteLedger sites = new CallSiteLedger(reporter);
    writer.sites(sites);
    LedgerSettings ledgerSettings = new LedgerSettings(config);
    PortLedger ledger = ledgerSettings.enabled() ? ledgerSettings.newLedger() : null;
    SocketEventHandler handler =
        new SocketEventHandler(config, options, stats, reporter, ledger, sites);
    reporter.start();
    Dispatcher.install(handler);
    log.debug(
        "startup: weaver {} ms, probes and delegate {} ms; woven so far: {}",
        (probeNanos - installNanos) / 1_000_000,
        (System.nanoTime() - probeNanos) / 1_000_000,
        installation.woven());
    if (nettyProblem != null) {
      log.warn("Netty epoll channels are observed but not rewritten: {}", nettyProblem);
    }
    for (String problem : installation.problems()) {
      log.warn("could not hook {}; it runs unchanged", problem);
    }
    ExitSummary exitSummary = new ExitSummary(log, stats, reporter, handler);
    Runtime.getRuntime().addShutdownHook(exitSummary);
    LedgerRun ledgerRun =
        ledger == null
            ? null
            : startLedger(config, options, ledgerSettings, ledger, stats, handler.linger());
    // At hot attach the application may hold connections already: count them now, from the kernel.
    int openAtStart = attached ? SocketsSection.ownTcpSockets() : 0;
    RunningAgent running =
        new RunningAgent(
            config,
            instrumentation,
            installation,
            stats,
            reporter,
            sites,
            kernel,
            describeRewrite(config, options, nettyRewritten),
            attached,
            exitSummary,
            openAtStart,
            log);
    if (ledgerRun != null) {
      running.onDetach(ledgerRun);
      running.ledger(ledgerRun.monitor);
    }
    running.linger(handler.linger());
    AgentControl.started(running);

    log.info(
        "fourtuple {} {}: mode={}, JDK {} ({}), {} {}, ephemeral ports {}; {} (took {} ms)",
        AgentStarter.version(),
        attached ? "attached" : "started",
        config.mode().name().toLowerCase(Locale.ROOT),
        System.getProperty("java.version"),
        System.getProperty("java.vm.vendor"),
        kernel.osName(),
        kernel.release(),
        kernel.describePortRange(),
        describeRewrite(config, options, nettyRewritten),
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  /**
   * The ledger thread (started at the first client socket), and its exit tick; the MBean and the
   * JFR sink come with the thread (see {@link LedgerMonitor}).
   */
  private static LedgerRun startLedger(
      AgentConfig config,
      SocketOptions options,
      LedgerSettings settings,
      PortLedger ledger,
      AgentStats stats,
      LingerGuard linger) {
    boolean audit = config.mode() == AgentConfig.Mode.AUDIT;
    boolean active = !audit && config.noPortEnabled() && options.isAvailable();
    String problem =
        !config.noPortEnabled()
            ? Setting.NOPORT_ENABLED.propertyName() + "=false"
            : options.isAvailable() ? null : options.unavailabilityCause();
    LedgerMonitor monitor =
        new LedgerMonitor(
            settings,
            ledger,
            new LedgerReport.Context(audit, active, problem),
            AgentLoggers.get(PortLedger.class));
    monitor.prometheus(stats, linger);
    monitor.start();
    LedgerExit exit = new LedgerExit(monitor);
    Runtime.getRuntime().addShutdownHook(exit);
    return new LedgerRun(monitor, exit);
  }

  /** What detach undoes of the ledger: its thread, its MBean, its exit hook. */
  private static final class LedgerRun implements Runnable {
    private final LedgerMonitor monitor;
    private final LedgerExit exit;

    LedgerRun(LedgerMonitor monitor, LedgerExit exit) {
      this.monitor = monitor;
      this.exit = exit;
    }

    @Override
    public String toString() {
      return "port ledger";
    }

    @Override
    public void run() {
      monitor.stop();
      try {
        Runtime.getRuntime().removeShutdownHook(exit);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is exiting; the exit tick runs anyway.
      }
    }
  }

  /** The ledger's last tick and JSON file at JVM exit. */
  private static final class LedgerExit extends Thread {
    private final LedgerMonitor monitor;

    LedgerExit(LedgerMonitor monitor) {
      super("fourtuple-ledger-exit");
      this.monitor = monitor;
    }

    @Override
    public void run() {
      Dispatcher.markAgentThread();
      monitor.finish();
    }
  }

  private static String describeRewrite(
      AgentConfig config, SocketOptions options, boolean nettyRewritten) {
    if (config.mode() == AgentConfig.Mode.AUDIT) {
      return "audit: client binds to port 0 are reported, nothing is changed";
    }
    if (!config.noPortEnabled()) {
      return "IP_BIND_ADDRESS_NO_PORT rewrite switched off by "
          + Setting.NOPORT_ENABLED.propertyName()
          + "=false ("
          + config.source(Setting.NOPORT_ENABLED)
          + "); observing only";
    }
    if (!options.isAvailable()) {
      return "IP_BIND_ADDRESS_NO_PORT unavailable ("
          + options.unavailabilityCause()
          + "); observing only, as in audit mode";
    }
    return "IP_BIND_ADDRESS_NO_PORT available, set via "
        + options.mechanism()
        + " before client binds to port 0"
        + (nettyRewritten
            ? " (java.net.Socket, SocketChannel, AsynchronousSocketChannel, Netty epoll)"
            : " (java.net.Socket, SocketChannel, AsynchronousSocketChannel)");
  }

  /** Writes the counters when the JVM exits. */
  private static final class ExitSummary extends Thread {
    private final Logger log;
    private final AgentStats stats;
    private final Reporter reporter;
    private final SocketEventHandler handler;

    ExitSummary(Logger log, AgentStats stats, Reporter reporter, SocketEventHandler handler) {
      super("fourtuple-exit");
      this.log = log;
      this.stats = stats;
      this.reporter = reporter;
      this.handler = handler;
    }

    @Override
    public void run() {
      Dispatcher.markAgentThread();
      reporter.flush();
      log.info("summary at exit: {}", stats.describe());
      String linger = handler.linger().describe();
      if (linger != null) {
        log.info("SO_LINGER at exit: {}", linger);
      }
      if (reporter.dropped() > 0) {
        log.info("{} report lines were dropped because the queue was full", reporter.dropped());
      }
    }
  }
}
