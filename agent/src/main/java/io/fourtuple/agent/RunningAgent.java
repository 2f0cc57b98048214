package io.fourtuple.agent;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.PremadeThread;
import io.fourtuple.agent.core.SocketEventHandler;
import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.audit.CallSitesSection;
import io.fourtuple.agent.core.bind.PortSlice;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.kernel.Endpoint;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.TcpTable;
import io.fourtuple.agent.core.ledger.LedgerMonitor;
import io.fourtuple.agent.core.ledger.LedgerReport;
import io.fourtuple.agent.core.ledger.LedgerSettings;
import io.fourtuple.agent.core.ledger.PortLedger;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.FindingWriter;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.core.report.UtcTime;
import io.fourtuple.agent.core.status.CountersSection;
import io.fourtuple.agent.core.status.FactsSection;
import io.fourtuple.agent.core.status.LedgerSection;
import io.fourtuple.agent.core.status.SocketsSection;
import io.fourtuple.agent.core.status.StatusReport;
import io.fourtuple.agent.core.status.StatusSection;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.logging.AgentLoggers;
import io.fourtuple.agent.platform.KernelInfo;
import io.fourtuple.agent.platform.NettySockets;
import io.fourtuple.agent.platform.ProcessId;
import io.fourtuple.agent.platform.SocketOptions;
import io.fourtuple.bootstrap.Dispatcher;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * The agent in this JVM: built once per start by {@link AgentStarter}, it owns everything that
 * start put in (weaver, dispatcher delegate, reporter, ledger, exit hook), answers {@code status}
 * and takes it all out again at {@code detach}.
 *
 * <p>Hazards:
 *
 * <ul>
 *   <li>This class links against {@code io.fourtuple.bootstrap}: it must not be loaded before
 *       {@link Installer#prepare} has defined those classes in the bootstrap loader, or the agent's
 *       loader would load a second copy and linking would fail with a loader constraint violation.
 *   <li>Premain is on the way to {@code main}: the constructor puts in the weaver and itself as the
 *       dispatcher's delegate; the handler and its parts (reporter, call-site and port ledgers,
 *       linger guard) are built by the first socket event, which they then handle, and the threads
 *       they run on are made in premain. The kernel facts and the option probe, the reporter thread
 *       and the startup line come from the {@code fourtuple-start} thread, or from the first hook
 *       that needs the probe. The exit hook waits for neither: if the line is still due it writes
 *       it with what is known, the probe's outcome only if it was made.
 *   <li>Detach must use the {@link Instrumentation} this start received: the weaver is registered
 *       on it; the one a later {@code agentmain} receives is a different instance.
 *   <li>Detach order: the dispatcher goes back to its no-op delegate first, so hooks stop working
 *       at once; then the original bytecode is restored. A thread inside a woven method at that
 *       moment finishes on the old body and calls the no-op dispatcher, which is harmless.
 *   <li>Status and detach run on the JVM's attach listener thread, never on an application thread.
 * </ul>
 */
final class RunningAgent implements AgentControl.Active, LedgerMonitor.ContextSource, SocketHooks {
  private final AgentConfig config;
  private final Instrumentation instrumentation;
  private final boolean attached;
  private final long startedMillis = System.currentTimeMillis();
  private final Logger log;
  private final Installer.Installation installation;

  /** Why Netty's descriptors cannot be wrapped; known once the start thread prepared them. */
  private volatile String nettyProblem;

  private final Probe probe = new Probe();
  private volatile AgentStats stats; // made first by handler(): the counters, at the first event

  /**
   * The handler and its parts, built at the first socket event ({@link #handler()}); the threads
   * they run on are made here, on the thread that loads the agent.
   */
  private final PremadeThread reporterThread = new PremadeThread("fourtuple-reporter");

  private final PremadeThread ledgerThread = new PremadeThread("fourtuple-ledger");
  private Reporter reporter; // these three: set before handler, read after it
  private CallSiteLedger sites;
  private LedgerMonitor ledger;
  private volatile SocketEventHandler handler;
  private final PortSlice slice;
  private final Thread exitHook = new AgentThread(false);
  private final int openAtStart;
  private long tookMillis;
  private final Object startupLine = new Object();
  private boolean startupLogged; // guarded by startupLine
  private boolean started; // the reporter thread may start; guarded by this
  private boolean detached;

  private RunningAgent(AgentConfig config, Instrumentation instrumentation, boolean attached) {
    this.config = config;
    this.instrumentation = instrumentation;
    this.attached = attached;
    this.log = AgentLoggers.get(AgentStarter.class);
    boolean nettyOn = config.nettyEnabled();
    long installNanos = System.nanoTime();
    // Until the delegate is installed below, the woven hooks do nothing.
    this.installation = Installer.install(instrumentation, nettyOn);
    long delegateNanos = System.nanoTime();
    // Checked and probed before the hooks go live, so that it holds for every socket or for none.
    this.slice = PortSlice.start(config, probe);
    // At hot attach the application may hold connections already: count them now, from the kernel.
    this.openAtStart = attached ? SocketsSection.ownTcpSockets() : 0;
    if (!Dispatcher.install(this)) {
      // AgentControl lets one start through; a delegate already there is another copy of the agent
      // (another class loader), and the hooks stay its own.
      installation.uninstall(instrumentation);
      throw new IllegalStateException("another fourtuple delegate is installed in this JVM");
    }
    Runtime.getRuntime().addShutdownHook(exitHook);
    if (attached || config.ledger().writesFiles()) {
      handler(); // the ledger's files are written from the start, whatever the sockets
    }
    log.debug(
        "startup: weaver {} ms, delegate {} ms; woven so far: {}",
        (delegateNanos - installNanos) / 1_000_000,
        (System.nanoTime() - delegateNanos) / 1_000_000,
        installation.woven());
  }

  /**
   * The handler, built with its parts (reporter, call-site ledger, port ledger, linger guard) at
   * the first socket event, on the thread of that event: a program that opens no socket loads none
   * of them. The event that builds it is handled by it, so the first socket is rewritten and
   * counted like any other. Null after detach.
   */
  private SocketEventHandler handler() {
    SocketEventHandler built = handler;
    if (built != null) {
      return built;
    }
    synchronized (this) {
      if (handler == null && !detached) {
        if (stats == null) {
          stats = new AgentStats();
        }
        AgentStats counters = stats;
        RoutingWriter writer = new RoutingWriter(new FindingWriter(log));
        reporter = new Reporter(log, writer, reporterThread);
        LedgerSettings ledgerSettings = config.ledger();
        SocketRecords records = ledgerSettings.newRecords();
        CallSites callSites = config.newCallSites();
        sites = new CallSiteLedger(reporter, records, callSites);
        writer.sites = sites;
        PortLedger portLedger =
            ledgerSettings.enabled() ? ledgerSettings.newLedger(records, callSites) : null;
        SocketEventHandler made =
            new SocketEventHandler(
                config, probe, counters, reporter, records, callSites, portLedger, sites, slice);
        if (portLedger != null) {
          ledger =
              new LedgerMonitor(
                  ledgerSettings,
                  portLedger,
                  this,
                  AgentLoggers.get(PortLedger.class),
                  ledgerThread);
          ledger.prometheus(counters, made.linger());
          ledger.start();
        }
        handler = made;
        if (started) {
          reporter.start();
        }
      }
      return handler;
    }
  }

  @Override
  public Object on(
      int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag) {
    SocketEventHandler h = handler();
    return h == null ? null : h.on(event, api, socket, a, b, c, n, flag);
  }

  @Override
  public boolean observesBoundPorts() {
    return config.audit();
  }

  @Override
  public void onInternalError(String where, Throwable error) {
    SocketEventHandler h = handler;
    if (h != null) {
      h.onInternalError(where, error);
    } else if (stats != null) {
      stats.internalError(); // the handler could not be built; the exit summary counts it
    }
  }

  /**
   * Starts the agent: hooks in, then the rest off the caller's way (at hot attach, on the attach
   * thread at once).
   */
  static RunningAgent start(
      AgentConfig config, Instrumentation instrumentation, boolean attached, long startNanos) {
    RunningAgent agent = new RunningAgent(config, instrumentation, attached);
    agent.tookMillis = (System.nanoTime() - startNanos) / 1_000_000;
    if (attached) {
      agent.startRest();
    } else {
      agent.new AgentThread(true).start();
    }
    return agent;
  }

  /** Kernel facts and the option probe, the startup line, the reporter thread (unless detached). */
  private void startRest() {
    if (config.nettyEnabled()) {
      // Netty's descriptors are wrapped for the option's mechanism: resolved here, off the way to
      // main, before the startup line says whether Netty epoll and io_uring channels are rewritten.
      nettyProblem = NettySockets.prepare();
    }
    probe.rewrite(true);
    logStartup(true);
    synchronized (this) {
      started = !detached;
      if (started && handler != null) {
        reporter.start();
      }
    }
  }

  /**
   * The startup line, once; {@code probe} false at exit, which must not wait for the probe. The
   * lines are written under {@link #startupLine}, so the exit hook waits for lines the {@code
   * fourtuple-start} thread is writing (the JVM stops daemon threads only after its shutdown hooks)
   * instead of returning while they are lost.
   */
  private void logStartup(boolean probe) {
    KernelInfo kernel = this.probe.kernel();
    String rewrite = this.probe.rewrite(probe);
    synchronized (startupLine) {
      if (startupLogged) {
        return;
      }
      startupLogged = true;
      writeStartup(kernel, rewrite);
    }
  }

  private void writeStartup(KernelInfo kernel, String rewrite) {
    if (nettyProblem != null) {
      log.warn(
          "Netty epoll and io_uring channels are observed but not rewritten: {}", nettyProblem);
    }
    for (String problem : installation.problems()) {
      log.warn("could not hook {}; it runs unchanged", problem);
    }
    if (slice.problem() != null) {
      log.warn("{}", slice.problem());
    } else if (slice.configured()) {
      log.info(
          "port slice {}-{}: IP_LOCAL_PORT_RANGE on every outbound socket{}",
          slice.low(),
          slice.high(),
          attached ? " created from now on (sockets connected before the attach keep theirs)" : "");
    }
    log.info(
        "fourtuple {} {}: mode={}, JDK {} ({}), {} {}, ephemeral ports {}; {} (took {} ms)",
        AgentControl.version(),
        attached ? "attached" : "started",
        mode(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.vendor"),
        kernel.osName(),
        kernel.release(),
        kernel.describePortRange(),
        rewrite,
        tookMillis);
    if (!attached) {
      // The answer to -javaagent, which AgentStarter leaves to this thread (scripts/conformance.sh
      // looks for it in every JVM).
      log.info("attached to pid {} in {} ms: {}", ProcessId.text(), tookMillis, describe());
    }
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
        + UtcTime.seconds(startedMillis)
        + ", fourtuple "
        + AgentControl.version();
  }

  @Override
  public String status(boolean auditReport, boolean json) {
    SocketEventHandler handler = handler(); // status shows every part, used or not
    List<StatusSection> sections = new ArrayList<StatusSection>();
    sections.add(agentSection());
    if (!auditReport) {
      sections.add(new CountersSection(stats, reporter.dropped()));
    }
    sections.add(new CallSitesSection(sites, config.audit(), probe.kernel().ephemeralPortCount()));
    sections.add(SocketsSection.read(openAtStart));
    if (ledger != null) {
      sections.add(new LedgerSection(ledger.last(), ProcessId.current()));
    }
    sections.add(handler.linger().statusSection());
    String title =
        (auditReport ? "fourtuple audit report for pid " : "fourtuple status of pid ")
            + ProcessId.text()
            + " ("
            + System.getProperty("java.version")
            + ")";
    StatusReport report = new StatusReport(title, sections);
    return json ? report.json() : report.text();
  }

  private StatusSection agentSection() {
    KernelInfo kernel = probe.kernel();
    FactsSection facts =
        new FactsSection("agent")
            .put("version", AgentControl.version())
            .put("mode", mode())
            .put("loaded", attached ? "hot attach" : "-javaagent")
            .put("since", UtcTime.seconds(startedMillis))
            .put("observedSeconds", (System.currentTimeMillis() - startedMillis) / 1000)
            .put(
                "jdk",
                System.getProperty("java.version")
                    + " ("
                    + System.getProperty("java.vm.vendor")
                    + ")")
            .put("kernel", kernel.osName() + " " + kernel.release())
            .put("ephemeralPorts", kernel.describePortRange())
            .put("rewrite", probe.rewrite(true));
    if (slice.configured()) {
      facts.put("portSlice", slice.describe()).put("portSliceUse", sliceUse());
    }
    return facts.put("woven", installation.woven()).put("problems", installation.problems());
  }

  /** The slice's use and the neighbours' use of the rest of the range, from the kernel table. */
  private String sliceUse() {
    PortRange range = slice.active() ? PortRange.current() : null;
    KernelView view =
        range == null
            ? null
            : KernelView.read(new TcpTable(), range, null, Collections.<Endpoint>emptySet());
    return view != null && view.available() ? slice.use(view, range) : "unknown";
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
    boolean reporterStopped = true;
    try {
      if (handler != null) {
        reporter.stop(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reporterStopped = false;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(exitHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting; the hook runs anyway and writes the summary.
    }
    if (ledger != null) {
      try {
        ledger.stop();
      } catch (Throwable t) {
        failures.add("detach step port ledger: " + t);
      }
    }
    detached = true;
    AgentControl.detached(this);
    String result =
        "detached from pid "
            + ProcessId.text()
            + " in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms: dispatcher reset to no-op, original bytecode restored for "
            + (failures.isEmpty() ? woven.toString() : woven + " except " + failures)
            + ", reporter thread "
            + (reporterStopped ? "stopped" : "stopping")
            + ", shutdown hook removed; summary while attached: "
            + summary();
    if (failures.isEmpty()) {
      log.info("fourtuple {}", result);
    } else {
      log.warn("fourtuple {}", result);
    }
    return result;
  }

  private String summary() {
    AgentStats counted = stats;
    return counted == null ? AgentStats.NOTHING_SEEN : counted.describe();
  }

  /** At JVM exit: the startup line if still due, the ledger's last tick, the counters. */
  private void exit() {
    logStartup(false);
    SocketEventHandler handler = this.handler;
    if (handler != null) {
      if (ledger != null) {
        ledger.finish();
      }
      reporter.flush();
    }
    log.info("summary at exit: {}", summary());
    String linger = handler == null ? null : handler.linger().describe();
    if (linger != null) {
      log.info("SO_LINGER at exit: {}", linger);
    }
    if (handler != null && reporter.dropped() > 0) {
      log.info("{} report lines were dropped because the queue was full", reporter.dropped());
    }
  }

  /**
   * The kernel facts and the option probe, made once at first need: by the {@code fourtuple-start}
   * thread, or by the first bind that gets there before it (the probe only reads {@code /proc} and
   * resolves a method handle). The kernel facts and the rewrite's text are read without a lock (two
   * threads may both compute the same value), so the exit hook never waits for a probe under way.
   */
  private final class Probe implements SocketOptions {
    private volatile KernelInfo kernel;
    private volatile SocketOptions options;
    private volatile String rewrite;

    KernelInfo kernel() {
      KernelInfo known = kernel;
      if (known == null) {
        known = KernelInfo.current();
        kernel = known;
      }
      return known;
    }

    SocketOptions options() {
      SocketOptions probed = options;
      if (probed == null) {
        synchronized (this) {
          probed = options;
          if (probed == null) {
            probed = SocketOptions.ForJdkNet.probe(kernel());
            options = probed;
          }
        }
      }
      return probed;
    }

    @Override
    public boolean isAvailable() {
      return options().isAvailable();
    }

    @Override
    public String unavailabilityCause() {
      return options().unavailabilityCause();
    }

    @Override
    public String mechanism() {
      return options().mechanism();
    }

    @Override
    public void setBindAddressNoPort(FileDescriptor fd) throws IOException {
      options().setBindAddressNoPort(fd);
    }

    @Override
    public void setLocalPortRange(FileDescriptor fd, int value) throws IOException {
      options().setLocalPortRange(fd, value);
    }

    @Override
    public int localPortRange(FileDescriptor fd) throws IOException {
      return options().localPortRange(fd);
    }

    /**
     * What the agent does to client binds, for the startup line and {@code status}; without {@code
     * probe}, a probe not yet made is said to be so instead of made.
     */
    String rewrite(boolean probe) {
      String known = rewrite;
      if (known == null) {
        known = describeRewrite(probe || options != null);
        if (known != null) {
          rewrite = known;
        }
      }
      return known != null
          ? known
          : "IP_BIND_ADDRESS_NO_PORT not probed: the program exited before the agent finished"
              + " starting";
    }

    /** Null when the answer needs the probe and {@code probe} is false. */
    private String describeRewrite(boolean probe) {
      if (config.audit()) {
        return "audit: client binds to port 0 are reported, nothing is changed";
      }
      if (!config.noPortEnabled()) {
        return "IP_BIND_ADDRESS_NO_PORT rewrite switched off by "
            + Setting.NOPORT_ENABLED.propertyName()
            + "=false ("
            + config.source(Setting.NOPORT_ENABLED)
            + "); observing only";
      }
      if (!probe) {
        return null;
      }
      if (!isAvailable()) {
        return "IP_BIND_ADDRESS_NO_PORT unavailable ("
            + unavailabilityCause()
            + "); observing only, as in audit mode";
      }
      return "IP_BIND_ADDRESS_NO_PORT available, set via "
          + mechanism()
          + " before client binds to port 0"
          + (nettyProblem == null && config.nettyEnabled()
              ? " (java.net.Socket, SocketChannel, AsynchronousSocketChannel, Netty epoll, Netty io_uring)"
              : " (java.net.Socket, SocketChannel, AsynchronousSocketChannel)");
    }
  }

  /** What the ledger's report says of the rewrite; asked at its first tick, off premain. */
  @Override
  public LedgerReport.Context context() {
    String problem =
        !config.noPortEnabled()
            ? Setting.NOPORT_ENABLED.propertyName() + "=false"
            : probe.isAvailable() ? null : probe.unavailabilityCause();
    return new LedgerReport.Context(
        config.audit(), !config.audit() && problem == null, problem, slice);
  }

  /** The agent's own threads: marked first, so the sockets and files they touch skip the hooks. */
  private final class AgentThread extends Thread {
    private final boolean atStart;

    AgentThread(boolean atStart) {
      super(atStart ? "fourtuple-start" : "fourtuple-exit");
      this.atStart = atStart;
      setDaemon(atStart);
    }

    @Override
    public void run() {
      Dispatcher.markAgentThread();
      if (atStart) {
        startRest();
      } else {
        exit();
      }
    }
  }

  /** Routes findings: call-site samples to the call-site ledger, everything else to the log. */
  private static final class RoutingWriter implements Reporter.Writer {
    private final Reporter.Writer log;
    private CallSiteLedger sites; // set once, before the reporter thread starts

    RoutingWriter(Reporter.Writer log) {
      this.log = log;
    }

    @Override
    public void write(Finding finding) {
      if (finding.kind == Finding.Kind.CALL_SITE) {
        sites.aggregate(finding);
      } else {
        log.write(finding);
      }
    }
  }
}
