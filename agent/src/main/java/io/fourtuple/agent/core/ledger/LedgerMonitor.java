package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.PremadeThread;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.TcpTable;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.OutputFiles;
import io.fourtuple.agent.platform.ProcessId;
import io.fourtuple.bootstrap.Dispatcher;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.management.MBeanServer;
import org.slf4j.Logger;

/**
 * The ledger's own thread, {@code fourtuple-ledger}: on every interval it reads the kernel table,
 * reconciles the ledger with it, checks headroom (warning once per crossing), and feeds the
 * outputs: the summary table through the agent's logger (only when it changed), the JSON report
 * file, the Prometheus file, the MBean and the per-destination MBeans ({@link DestinationMBeans},
 * made from the same {@link DestinationSeries} as the Prometheus file), JFR. At JVM exit {@link
 * #finish} runs one last tick and writes the file whatever its interval.
 *
 * <p>Lazy by design (a program that opens no socket pays for none of it): the thread starts at the
 * ledger's first client socket ({@link PortLedger#onFirstUse}), or at once when a JSON file is
 * configured (the file is written on its interval whatever the traffic); the MBean is registered
 * and the JFR events are set up at the first tick that follows the first socket, never in {@code
 * premain} nor at exit; and at exit a ledger that saw no socket and writes no file does nothing, so
 * the JVM's exit waits for no kernel table, no JMX and no JFR.
 *
 * <p>Hazards: the thread is marked as an agent thread, so the sockets and files it touches never
 * reach the hooks; it holds no lock a hook takes except a stripe of the socket table while copying
 * it; any failure in a tick is logged once and the next tick runs.
 */
public final class LedgerMonitor {
  static final int FINDINGS = 50;
  static final String JFR_SINK = "io.fourtuple.agent.jfr.JfrLedgerEvents";

  private final LedgerSettings settings;
  private final PortLedger ledger;
  private final ContextSource contextSource;
  private LedgerReport.Context context;
  private final Logger log;
  private volatile PortLedgerMBean mbean;
  private volatile DestinationMBeans destinationBeans;
  private TcpTable reader; // made at the first tick: no kernel table on the way to main
  private final HeadroomWarnings warnings = new HeadroomWarnings();
  private final ArrayDeque<String> findings = new ArrayDeque<String>();
  private final Thread thread;
  private long pid;
  private final Object lifecycle = new Object();
  private boolean started;
  private boolean stopped;
  private boolean setUp;
  private volatile boolean jmxWaiting; // ledger.jmx on, the MBean not registered yet
  private volatile LedgerEvents events;
  private volatile Throwable startFailure;
  private boolean failureLogged;
  private String lastSummary;
  private long lastSummaryMillis;
  private long lastJsonMillis;
  private volatile LedgerReport last;
  private PrometheusFile prometheus;

  /**
   * What the report says of the rewrite, asked at the first tick: the option probe it depends on is
   * not made on the way to {@code main}.
   */
  public interface ContextSource {
    LedgerReport.Context context();
  }

  public LedgerMonitor(
      LedgerSettings settings, PortLedger ledger, ContextSource contextSource, Logger log) {
    this(settings, ledger, contextSource, log, new PremadeThread("fourtuple-ledger"));
  }

  /**
   * Ticking on {@code thread}, made on the thread that loads the agent, so that starting it later
   * from an application's thread inherits nothing of that thread (see {@link PremadeThread}).
   */
  public LedgerMonitor(
      LedgerSettings settings,
      PortLedger ledger,
      ContextSource contextSource,
      Logger log,
      PremadeThread thread) {
    this.settings = settings;
    this.ledger = ledger;
    this.contextSource = contextSource;
    this.log = log;
    this.thread = thread.runs(new Loop());
  }

  /**
   * Sets up the Prometheus file when {@code ledger.prometheus.file} is set (its class is not even
   * loaded otherwise); before {@link #start}.
   */
  public void prometheus(AgentStats stats, LingerGuard linger) {
    if (settings.prometheus != null) {
      this.prometheus = new PrometheusFile(settings, stats, linger);
    }
  }

  /** Starts the thread at the ledger's first client socket, or now if a file is configured. */
  public void start() {
    if (settings.json != null || prometheus != null) {
      startThread();
    } else {
      ledger.onFirstUse(new StartThread());
    }
  }

  /** A named class, not a lambda: the agent bootstraps no {@code java.lang.invoke} at JVM start. */
  private final class StartThread implements Runnable {
    @Override
    public void run() {
      startThread();
    }
  }

  private void startThread() {
    synchronized (lifecycle) {
      if (started || stopped) {
        return;
      }
      started = true;
    }
    try {
      thread.start();
    } catch (Throwable t) {
      // Fail open: the application's socket call goes on, nothing logs on its thread; the exit
      // tick reports, and says why there were no ticks before it.
      startFailure = t;
    }
  }

  /**
   * Loads the JFR sink, once, at the first tick that sees the ledger used, and registers the MBean
   * at that tick or the first after it at which the platform MBean server exists (the agent never
   * makes it: {@link PortLedgerMBean}); never at exit: a short program pays for neither, on any
   * thread.
   */
  private void setUp() {
    boolean first;
    synchronized (lifecycle) {
      if (stopped || !ledger.used() || (setUp && !jmxWaiting)) {
        return;
      }
      first = !setUp;
      setUp = true;
      if (first) {
        jmxWaiting = settings.jmx;
      }
    }
    if (first && settings.jfr) {
      events = loadJfr();
    }
    if (jmxWaiting) {
      registerMBean();
    }
  }

  /** Registers the MBean if the platform MBean server exists now; tries again next tick if not. */
  private void registerMBean() {
    String problem;
    PortLedgerMBean bean = new PortLedgerMBean(ProcessId.current());
    try {
      MBeanServer server = PortLedgerMBean.platformServer();
      if (server == null) {
        return; // not made yet (by the application, a JMX agent or a tool attaching)
      }
      problem = bean.register(server);
      if (problem == null) {
        destinationBeans = new DestinationMBeans(server);
        mbean = bean; // filled by the tick that follows
      }
    } catch (Throwable t) {
      problem = t.toString();
    }
    jmxWaiting = false;
    if (problem != null) {
      log.info("port ledger MBean {} not registered: {}", PortLedgerMBean.NAME, problem);
    }
  }

  /**
   * The JFR sink, without linking to {@code jdk.jfr}: its class is named as a string and loaded
   * only after {@code jdk.jfr.FlightRecorder} resolved and reports itself available, so on a JDK
   * without JFR (8 before 8u272, or a runtime image without the module) nothing of it is loaded.
   * Null, said at debug, when there is none.
   */
  private LedgerEvents loadJfr() {
    ClassLoader loader = LedgerMonitor.class.getClassLoader();
    String problem;
    try {
      Class<?> recorder = Class.forName("jdk.jfr.FlightRecorder", false, loader);
      if (!Boolean.TRUE.equals(recorder.getMethod("isAvailable").invoke(null))) {
        problem = "JFR is not available in this JVM";
      } else {
        try {
          return (LedgerEvents)
              Class.forName(JFR_SINK, true, loader).getConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
          problem = "the JFR events could not be loaded: " + e;
        }
      }
    } catch (ClassNotFoundException | LinkageError e) {
      problem = "this JDK has no jdk.jfr";
    } catch (ReflectiveOperationException | RuntimeException e) {
      problem = "jdk.jfr.FlightRecorder.isAvailable failed: " + e;
    }
    log.debug("port ledger: no JFR events ({})", problem);
    return null;
  }

  /** The last report, or null before the first tick. */
  public LedgerReport last() {
    return last;
  }

  /**
   * Stops the thread and runs a final tick on the caller (the exit hook), writing the JSON file;
   * waits for no MBean or JFR set-up under way. The per-destination MBeans go after it.
   */
  public void finish() {
    synchronized (lifecycle) {
      stopped = true;
    }
    if (!ledger.used() && settings.json == null && prometheus == null) {
      return; // no socket, no file: nothing to report, and nothing for the JVM's exit to wait for
    }
    Throwable failed = startFailure;
    if (failed != null) {
      log.warn("port ledger thread did not start; only this exit tick reports", failed);
    }
    thread.interrupt();
    tickSafely(true);
    closeDestinationBeans();
  }

  private void closeDestinationBeans() {
    DestinationMBeans beans = destinationBeans;
    if (beans != null) {
      beans.close();
    }
  }

  /**
   * Stops the thread without a final tick and unregisters the MBean (detach: the application keeps
   * running without the agent).
   */
  public void stop() {
    synchronized (lifecycle) {
      stopped = true;
    }
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    PortLedgerMBean bean = mbean;
    if (bean != null) {
      bean.unregister();
    }
    closeDestinationBeans();
    if (prometheus != null) {
      prometheus.detached(log);
    }
  }

  private final class Loop implements Runnable {
    @Override
    public void run() {
      Dispatcher.markAgentThread();
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(settings.intervalMillis);
        } catch (InterruptedException stop) {
          return;
        }
        try {
          setUp(); // outside the tick's lock: the exit tick never waits for JMX or JFR
        } catch (Throwable t) {
          log.warn("port ledger MBean or JFR set-up failed (the ledger keeps running)", t);
        }
        tickSafely(false);
      }
    }
  }

  private synchronized void tickSafely(boolean atExit) {
    try {
      tick(atExit);
    } catch (Throwable t) {
      if (!failureLogged) {
        failureLogged = true;
        log.warn("port ledger tick failed (the ledger keeps running, this is logged once)", t);
      }
    }
  }

  /** One tick; public for tests that drive the ledger without its thread. */
  public synchronized LedgerReport tick(boolean atExit) {
    if (!atExit) {
      setUp();
    }
    if (context == null) {
      context = contextSource.context();
      pid = ProcessId.current();
    }
    LedgerEvents events = this.events;
    int epoch = ledger.advanceEpoch();
    // With a port slice, the pool and the headroom are the slice's.
    PortRange range = context.slice.narrow(PortRange.current());
    KernelView view = null;
    if (range != null) {
      if (reader == null) {
        reader = new TcpTable();
      }
      OwnSockets own = OwnSockets.current();
      view = KernelView.read(reader, range, own, ledger.endpoints());
      if (!view.available()) {
        view = null;
      }
    }
    ledger.drainSamples(new Failures());
    ledger.reconcile(view, epoch, range);
    long now = System.currentTimeMillis();
    int threshold = range == null ? 0 : settings.warnThreshold(range.usable());
    LedgerReport report =
        LedgerReport.build(
            ledger,
            view,
            range,
            context,
            now,
            System.nanoTime(),
            new ArrayList<String>(findings),
            threshold,
            settings.etaSeconds);
    if (range != null) {
      // At exit a crossing is news to no one who can act on it (the process is leaving, and its
      // closes have just filled TIME_WAIT): one line names such destinations, the table below has
      // the detail.
      StringBuilder atExitBelow = new StringBuilder();
      int atExitCount = 0;
      for (HeadroomWarnings.Line line : warnings.check(report, threshold)) {
        if (atExit && !line.recovered) {
          if (atExitCount++ < 5) {
            atExitBelow
                .append(atExitCount > 1 ? ", " : "")
                .append(line.row.destination)
                .append(" (")
                .append(line.row.headroom)
                .append(" of ")
                .append(line.row.pool)
                .append(" free)");
          }
        } else if (line.recovered) {
          log.info(line.text);
        } else {
          log.warn(line.text);
        }
        remember(line.text);
        if (events != null) {
          events.headroom(line.row, threshold, line.recovered);
        }
      }
      if (atExitCount > 0) {
        log.info(
            "at exit, {} destination{} below the warning threshold ({} free): {}{}",
            atExitCount,
            atExitCount == 1 ? " was" : "s were",
            threshold,
            atExitBelow,
            atExitCount > 5 ? ", ..." : "");
      }
      report = LedgerReport.rebuildFindings(report, new ArrayList<String>(findings));
    }
    if (events != null) {
      int n = 0;
      for (LedgerReport.Row row : report.rows) {
        if (n++ == SummaryTable.ROWS) {
          break;
        }
        events.usage(row);
      }
    }
    PortLedgerMBean bean = mbean;
    if (bean != null) {
      bean.update(report, warnings.belowCount());
    }
    // The destinations shown on their own: made once, for the Prometheus file and the MBeans.
    DestinationMBeans destinationBeans = this.destinationBeans;
    List<DestinationSeries> shown =
        prometheus == null && destinationBeans == null
            ? null
            : DestinationSeries.of(report, settings.prometheusMaxDestinations);
    if (destinationBeans != null) {
      destinationBeans.update(shown, !atExit, log);
    }
    last = report;
    if (settings.summaryMillis > 0
        && !report.rows.isEmpty()
        && (atExit || now - lastSummaryMillis >= settings.summaryMillis)) {
      String body = SummaryTable.body(report);
      if (!body.equals(lastSummary)) {
        lastSummary = body;
        lastSummaryMillis = now;
        log.info("{}{}{}", SummaryTable.header(report), System.lineSeparator(), body.trim());
      }
    }
    if (settings.json != null && (atExit || now - lastJsonMillis >= settings.jsonMillis)) {
      lastJsonMillis = now;
      try {
        OutputFiles.replace(Paths.get(settings.json), JsonReport.toJson(report, pid));
      } catch (Exception e) {
        log.warn("port ledger JSON report {} not written: {}", settings.json, e.toString());
      }
    }
    if (prometheus != null) {
      prometheus.tick(report, shown, atExit, log);
    }
    return report;
  }

  private void remember(String line) {
    if (findings.size() == FINDINGS) {
      findings.removeFirst();
    }
    findings.addLast(line);
  }

  private final class Failures implements PortLedger.FailureSink {
    @Override
    public void failure(
        String destination,
        boolean atBind,
        ConnectFailure cause,
        String callSite,
        long timeMillis) {
      remember(
          String.format(
              Locale.ROOT,
              "%s failed for want of a source port: %s at %s",
              atBind ? "bind to " + destination : "connect to " + destination,
              cause.label(),
              callSite));
      if (events != null) {
        events.exhaustion(destination, atBind, cause.label(), callSite, timeMillis);
      }
    }
  }
}
