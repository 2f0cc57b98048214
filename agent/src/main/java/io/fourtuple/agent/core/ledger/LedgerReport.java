package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.bind.PortSlice;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.TcpState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One tick's picture of the ledger: totals, the kernel's view, and a row per destination with its
 * headroom and the cause in plain words. Built on the ledger thread, read by the summary, the JSON
 * file, the MBean and the warnings. Immutable once published.
 */
public final class LedgerReport implements Cloneable {
  /**
   * What fourtuple can do about bind-before-connect here; decides the "what fourtuple did" text.
   */
  public static final class Context {
    final boolean audit;
    final boolean noPortActive;
    final String noPortProblem;

    /** This JVM's port slice: the range the ledger counts against when it is applied. */
    final PortSlice slice;

    public Context(boolean audit, boolean noPortActive, String noPortProblem) {
      this(audit, noPortActive, noPortProblem, PortSlice.NONE);
    }

    /**
     * @param audit audit mode
     * @param noPortActive enforce mode with the NO_PORT rewrite on and available
     * @param noPortProblem why the rewrite is not active (when neither audit nor active), or null
     * @param slice this JVM's port slice
     */
    public Context(boolean audit, boolean noPortActive, String noPortProblem, PortSlice slice) {
      this.audit = audit;
      this.noPortActive = noPortActive;
      this.noPortProblem = noPortProblem;
      this.slice = slice;
    }
  }

  /** One destination. */
  public static final class Row {
    public final String destination;
    public final boolean overflow;
    public final int live;
    public final int peak;
    public final long total;
    public final double ratePerSecond;
    public final Map<String, Long> failures;
    public final long failureTotal;
    public final int distinctPorts;
    public final List<String> sources;
    public final String setup;
    public final Map<String, Long> setups;
    public final List<Map.Entry<String, Long>> callSites;
    public final long otherCallSites;
    // kernel
    public final boolean kernelKnown;
    public final int established;
    public final int timeWait;
    public final int otherStates;
    public final int own;
    public final int others;
    public final int orphans;
    // headroom
    public final boolean headroomKnown;
    public final boolean sharedPool;
    public final int pool;
    public final int used;
    public final int heldForAll;
    public final int headroom;
    public final int projected;
    public final int connectParityUsed;
    public final int otherParityUsed;
    public final int connectParityPool;

    // forecast
    /** Seconds until the destination runs out at its recent rate and trend, 0 now, -1 not soon. */
    public final int etaSeconds;

    /** Connects per second the forecast starts from. */
    public final double forecastRate;

    /** Connects per second the destination can take for ever, -1 when unknown. */
    public final double sustainableRate;

    /** Port-seconds one connect costs (Little's law over the last minute), -1 when unknown. */
    public final double portSecondsPerConnect;

    /** Consecutive ticks without an ETA. */
    final int etaQuietTicks;

    private final Context context;
    private final int reservedInRange;
    private final long bind0Total;
    private final long noPortTotal;
    private final boolean lastExplicit;

    Row(
        Destination d,
        double rate,
        KernelView view,
        KernelView.DestinationTable t,
        Headroom h,
        Context context,
        PortRange range) {
      destination = d.label();
      overflow = d.isOverflow();
      live = d.live();
      peak = d.peak();
      total = d.total();
      ratePerSecond = rate;
      failures = compact(failureCounts(d));
      failureTotal = d.failures();
      distinctPorts = d.distinctPorts();
      sources = d.sources();
      SetupKind last = d.lastKind();
      setup = last == null ? "-" : last.shortName();
      Map<String, Long> s = null;
      for (SetupKind k : SetupKind.values()) {
        if (d.total(k) > 0) {
          if (s == null) {
            s = new LinkedHashMap<String, Long>(4);
          }
          s.put(k.shortName(), d.total(k));
        }
      }
      setups = compact(s);
      callSites = d.topCallSites(3);
      otherCallSites = d.otherCallSites();
      kernelKnown = view != null && view.available() && !overflow;
      established = t == null ? 0 : t.state(TcpState.ESTABLISHED);
      timeWait = t == null ? 0 : t.state(TcpState.TIME_WAIT);
      otherStates = t == null ? 0 : t.total() - established - timeWait;
      own = t == null ? 0 : t.own();
      others = t == null ? 0 : t.others();
      orphans = t == null ? 0 : t.orphans();
      headroomKnown = h != null;
      sharedPool = h != null && h.shared;
      pool = h == null ? -1 : h.pool;
      used = h == null ? -1 : h.used;
      heldForAll = h == null ? -1 : h.heldForAll;
      headroom = h == null ? -1 : h.headroom;
      projected = h == null ? -1 : h.projected;
      connectParityUsed = h == null ? 0 : h.connectParityUsed;
      otherParityUsed = h == null ? 0 : h.otherParityUsed;
      connectParityPool = h == null ? 0 : h.connectParityPool;
      Forecast f = h == null ? null : d.forecast;
      etaSeconds = f == null ? -1 : f.etaSeconds;
      forecastRate = f == null ? rate : f.rate;
      sustainableRate = f == null ? -1 : f.sustainable;
      portSecondsPerConnect = f == null ? -1 : f.portSeconds;
      etaQuietTicks = f == null ? Integer.MAX_VALUE : f.quietTicks;
      this.context = context;
      reservedInRange = range == null ? 0 : range.reservedInRange();
      bind0Total = d.total(SetupKind.BIND_PORT_0);
      noPortTotal = d.total(SetupKind.BIND_PORT_0_NO_PORT);
      lastExplicit = last == SetupKind.EXPLICIT_PORT;
    }

    /**
     * Why this destination's ports are used, in plain words; null when the headroom is unknown.
     * Made on demand (the report for 10k destinations would otherwise keep 20k sentences).
     */
    public String cause() {
      return headroomKnown ? cause(ratePerSecond) : null;
    }

    /** What fourtuple did about it; null when the headroom is unknown. */
    public String action() {
      return headroomKnown ? actionText() : null;
    }

    private String cause(double rate) {
      StringBuilder out = new StringBuilder();
      if (sharedPool) {
        out.append(
            String.format(
                Locale.ROOT,
                "bind-before-connect reserves a port per socket: all destinations share %,d ports"
                    + " (%,d in use by any socket)",
                pool,
                used));
      } else if (timeWait > 0
          && timeWait >= established
          && Math.round(rate * Headroom.TIME_WAIT_SECONDS) * 2 < timeWait) {
        // The current rate does not explain the TIME_WAIT count: connections closed in a burst (an
        // application closing its pool, or exiting), not a steady stream of short ones.
        out.append(
            String.format(
                Locale.ROOT,
                "TIME_WAIT after a burst of closes: %,d ports wait out the kernel's %d s after"
                    + " their connections closed (%,d established, %s connects/s now)",
                timeWait,
                Headroom.TIME_WAIT_SECONDS,
                established,
                rateText(rate)));
      } else if (timeWait > 0 && timeWait >= established) {
        out.append(
            String.format(
                Locale.ROOT,
                "TIME_WAIT from short connections: %s/s × %d s ≈ %,d ports (%,d in TIME_WAIT now,"
                    + " %,d established)",
                rateText(rate),
                Headroom.TIME_WAIT_SECONDS,
                Math.round(rate * Headroom.TIME_WAIT_SECONDS),
                timeWait,
                established));
      } else {
        out.append(
            String.format(
                Locale.ROOT,
                "%,d open connections to it (%,d from this JVM, %,d from other processes)",
                established + otherStates,
                own,
                others));
      }
      if (!sharedPool && heldForAll > 0) {
        out.append(
            String.format(
                Locale.ROOT,
                "; %,d ports of the range are held by listeners or binds and leave the pool for"
                    + " every destination",
                heldForAll));
      }
      int reserved = reservedInRange;
      if (reserved > 0) {
        out.append(String.format(Locale.ROOT, "; %,d ports are reserved", reserved));
      }
      return out.toString();
    }

    private String actionText() {
      Context c = context;
      long noPort = noPortTotal;
      long bind0 = bind0Total;
      if (sharedPool) {
        if (c.audit) {
          return "audit mode, nothing changed: enforce mode would set IP_BIND_ADDRESS_NO_PORT on"
              + " these binds ("
              + bind0
              + " so far), giving each destination the whole pool";
        }
        if (lastExplicit) {
          return "nothing: the application binds explicit ports, which fourtuple never changes";
        }
        return "nothing: IP_BIND_ADDRESS_NO_PORT is not active ("
            + (c.noPortProblem == null ? "off" : c.noPortProblem)
            + ")";
      }
      if (noPort > 0) {
        return "set IP_BIND_ADDRESS_NO_PORT on "
            + noPort
            + " binds to it, so their ports are shared per destination; the rest is beyond what"
            + " fourtuple can change";
      }
      return "nothing it can change: use connection reuse (keep-alive, pooling), more source IPs or"
          + " destination addresses, or let the server close first so TIME_WAIT stays there";
    }
  }

  private static Map<String, Long> failureCounts(Destination d) {
    Map<String, Long> f = null;
    for (ConnectFailure c : ConnectFailure.values()) {
      if (d.failures(c) > 0) {
        if (f == null) {
          f = new LinkedHashMap<String, Long>(4);
        }
        f.put(c.label(), d.failures(c));
      }
    }
    return f;
  }

  /** An unmodifiable map as small as its content: most rows have no failures and one setup kind. */
  private static Map<String, Long> compact(Map<String, Long> m) {
    if (m == null || m.isEmpty()) {
      return Collections.emptyMap();
    }
    if (m.size() == 1) {
      Map.Entry<String, Long> e = m.entrySet().iterator().next();
      return Collections.singletonMap(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableMap(m);
  }

  public final long timeMillis;
  public final PortRange range;
  public final boolean kernelAvailable;
  public final int kernelRows;
  public final double kernelReadMillis;
  public final int listenerPortsInRange;
  public final int portsInUseInRange;
  public final int ownSockets;
  public final int destinations;
  public final int maxDestinations;
  public final long overflowConnects;
  public final long connects;
  public final int followedSockets;
  public final int maxSockets;
  public final long untrackedSockets;
  public final long closedByCollector;
  public final long closedPerKernel;
  public final Map<String, Long> bindFailures;
  public final long samplesDropped;
  public final long callSitesOverCap;
  public final List<Row> rows;

  /** Set before the report is published, never after. */
  public List<String> findings;

  public final int warnThreshold;

  LedgerReport(
      long timeMillis,
      PortLedger ledger,
      KernelView view,
      PortRange range,
      List<Row> rows,
      List<String> findings,
      int warnThreshold) {
    this.timeMillis = timeMillis;
    this.range = range;
    this.kernelAvailable = view != null && view.available();
    this.kernelRows = view == null ? 0 : view.rows();
    this.kernelReadMillis = view == null ? 0 : view.readNanos() / 1e6;
    this.listenerPortsInRange = view == null ? 0 : view.listenerPortsInRange();
    this.portsInUseInRange = view == null ? 0 : view.portsInUseInRange();
    this.ownSockets = view == null ? -1 : view.ownSockets();
    this.destinations = ledger.destinations().size();
    this.maxDestinations = ledger.maxDestinations();
    this.overflowConnects = ledger.overflowConnects();
    this.connects = ledger.connects();
    this.followedSockets = ledger.followedSockets();
    this.maxSockets = ledger.maxSockets();
    this.untrackedSockets = ledger.untrackedSockets();
    this.closedByCollector = ledger.closedByCollector();
    this.closedPerKernel = ledger.closedPerKernel();
    Map<String, Long> b = new LinkedHashMap<String, Long>();
    for (ConnectFailure c : ConnectFailure.values()) {
      if (ledger.bindFailures(c) > 0) {
        b.put(c.label(), ledger.bindFailures(c));
      }
    }
    this.bindFailures = Collections.unmodifiableMap(b);
    this.samplesDropped = ledger.samplesDropped();
    this.callSitesOverCap = ledger.callSitesOverCap();
    this.rows = Collections.unmodifiableList(rows);
    this.findings = Collections.unmodifiableList(new ArrayList<String>(findings));
    this.warnThreshold = warnThreshold;
  }

  /** The same report with {@code findings} (after the warnings of this tick were added). */
  static LedgerReport rebuildFindings(LedgerReport r, List<String> findings) {
    LedgerReport copy;
    try {
      copy = (LedgerReport) r.clone();
    } catch (CloneNotSupportedException impossible) {
      throw new AssertionError(impossible);
    }
    copy.findings = Collections.unmodifiableList(new ArrayList<String>(findings));
    return copy;
  }

  /**
   * Builds the report: a row per destination (and the overflow bucket when used), the tightest
   * headroom first, each forecast {@code etaSeconds} ahead.
   */
  public static LedgerReport build(
      PortLedger ledger,
      KernelView view,
      PortRange range,
      Context context,
      long nowMillis,
      long nowNanos,
      List<String> findings,
      int warnThreshold,
      int etaSeconds) {
    List<Destination> all = ledger.destinations();
    int ownHeldTotal = 0;
    for (Destination d : all) {
      ownHeldTotal += d.heldForAllInRange;
    }
    List<Row> rows = new ArrayList<Row>(all.size() + 1);
    for (Destination d : all) {
      rows.add(row(d, view, range, context, nowNanos, ownHeldTotal, etaSeconds));
    }
    Destination overflow = ledger.overflow();
    if (overflow.total() > 0 || overflow.failures() > 0) {
      rows.add(row(overflow, null, range, context, nowNanos, ownHeldTotal, etaSeconds));
    }
    Collections.sort(rows, TIGHTEST_FIRST);
    return new LedgerReport(nowMillis, ledger, view, range, rows, findings, warnThreshold);
  }

  private static Row row(
      Destination d,
      KernelView view,
      PortRange range,
      Context context,
      long nowNanos,
      int ownHeldTotal,
      int etaSeconds) {
    long total = d.total();
    double rate = 0;
    if (d.lastTickNanos != 0 && nowNanos > d.lastTickNanos) {
      rate = (total - d.totalAtLastTick) * 1e9 / (nowNanos - d.lastTickNanos);
    }
    d.totalAtLastTick = total;
    d.lastTickNanos = nowNanos;
    KernelView.DestinationTable t =
        view == null || d.isOverflow() ? null : view.destination(d.endpoint());
    Headroom h = null;
    if (view != null && view.available() && range != null && !d.isOverflow()) {
      SetupKind kind = d.lastKind();
      boolean shared = kind != null && kind.holdsPortForAll();
      h = Headroom.of(range, view, t, shared, ownHeldTotal - d.heldForAllInRange, rate);
      int capacity = h.pool - h.heldForAll;
      if (d.forecast == null && etaSeconds > 0 && h.used * 20 >= capacity) {
        d.forecast = new Forecast();
      }
      if (d.forecast != null) {
        d.forecast.tick(nowNanos, total, h.used, capacity, etaSeconds);
      }
    }
    return new Row(d, rate, view, t, h, context, range);
  }

  private static final Comparator<Row> TIGHTEST_FIRST = new TightestFirst();

  private static final class TightestFirst implements Comparator<Row> {
    @Override
    public int compare(Row a, Row b) {
      int ha = a.headroomKnown ? a.headroom : Integer.MAX_VALUE;
      int hb = b.headroomKnown ? b.headroom : Integer.MAX_VALUE;
      if (ha != hb) {
        return ha < hb ? -1 : 1;
      }
      if (a.live != b.live) {
        return a.live > b.live ? -1 : 1;
      }
      return a.destination.compareTo(b.destination);
    }
  }

  static String rateText(double rate) {
    return rate >= 10 || rate == 0
        ? String.format(Locale.ROOT, "%,.0f", rate)
        : String.format(Locale.ROOT, "%.1f", rate);
  }
}
