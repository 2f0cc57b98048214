package io.fourtuple.agent;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.SocketEventHandler;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.report.FindingWriter;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.platform.KernelInfo;
import io.fourtuple.agent.platform.SocketOptions;
import io.fourtuple.bootstrap.Dispatcher;
import java.lang.instrument.Instrumentation;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * The running agent: probes, the hook delegate, the transformer, the exit summary.
 *
 * <p>Hazard: this class links against {@code io.fourtuple.bootstrap}. It must not be loaded before {@link
 * Installer#prepare} has defined those classes in the bootstrap loader, or the agent's own loader would
 * load a second copy and linking would fail with a loader constraint violation. {@link AgentStarter} calls
 * it only after that.
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

    long probeNanos = System.nanoTime();
    KernelInfo kernel = KernelInfo.current();
    SocketOptions options = SocketOptions.ForJdkNet.probe(kernel);
    AgentStats stats = new AgentStats();
    Reporter reporter = new Reporter(log, new FindingWriter(log));
    SocketEventHandler handler = new SocketEventHandler(config, options, stats, reporter);
    reporter.start();
    Dispatcher.install(handler);
    long installNanos = System.nanoTime();
    Installer.Installation installation = Installer.install(instrumentation);
    log.debug(
        "startup: probes and delegate {} ms, weaver {} ms; woven so far: {}",
        (installNanos - probeNanos) / 1_000_000,
        (System.nanoTime() - installNanos) / 1_000_000,
        installation.woven());
    for (String problem : installation.problems()) {
      log.warn("could not hook {}; it runs unchanged", problem);
    }
    Runtime.getRuntime().addShutdownHook(new ExitSummary(log, stats, reporter, handler));

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
        describeRewrite(config, options),
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  private static String describeRewrite(AgentConfig config, SocketOptions options) {
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
        + " before client binds to port 0 (java.net.Socket, SocketChannel)";
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
