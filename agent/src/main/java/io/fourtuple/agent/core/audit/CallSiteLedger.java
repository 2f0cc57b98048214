package io.fourtuple.agent.core.audit;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.SocketListener;
import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per application call site: which client binds it makes, how often, toward which destinations and
 * with what result. The raw material of the audit report and of {@code status}'s call-site part.
 *
 * <p>How a bind is tied to its call site and destination: at the bind hook a sampled socket gets a
 * filled-in (not yet walked) stack, kept in the socket's record (the agent's one per-socket table,
 * {@link SocketRecords}; at most {@link #MAX_PENDING} records hold one); at its connect (or failed
 * bind) the sample, now with its destination and result, goes to the {@link Reporter} thread, which
 * walks the stack and adds it to the call site's entry. Hooks never walk stacks, lock, or block
 * here.
 *
 * <p>Sampling keeps the cost bounded under a connect storm: every eligible bind is counted exactly,
 * but only those within the agent's one sampling budget ({@link CallSites}) get a stack; per-site
 * counts are then scaled by (binds seen / binds sampled) and marked as estimates.
 *
 * <p>Memory: at most {@link #MAX_PENDING} sockets waiting for their connect; each site's entry is
 * kept in the agent's one call-site table ({@code callsites.max} sites), under its {@link Kind};
 * {@link #MAX_DESTINATIONS} destinations per entry; what does not fit is counted and reported.
 */
public final class CallSiteLedger implements SocketListener {
  static final int MAX_PENDING = 1024;
  static final int MAX_DESTINATIONS = 16;

  /** What a call site does. The linger guard adds its findings as further kinds. */
  public enum Kind {
    /** A client bind to port 0 before connect: the port is reserved for every destination. */
    BIND_PORT_ZERO,
    /** A client bind to an explicit source port. */
    EXPLICIT_SOURCE_PORT
  }

  private final SocketRecords records;
  private final LongAdder[] seen = {new LongAdder(), new LongAdder()};
  private final LongAdder[] sampled = {new LongAdder(), new LongAdder()};
  private final LongAdder pendingOverflow = new LongAdder();
  private final CallSites callSites;
  private final Reporter reporter;

  /**
   * This ledger's entries of the call-site table in the order they were first seen, for rendering.
   * Guarded by this; touched by the reporter thread and by whoever renders a report.
   */
  private final List<Site> sites = new ArrayList<Site>();

  private long sitesOverflow;

  /** With tables of its own: a per-socket one, and a call-site one of {@code maxSites}. */
  public CallSiteLedger(Reporter reporter, int maxSites) {
    this(reporter, new SocketRecords(MAX_PENDING), new CallSites(maxSites));
  }

  /**
   * Keeping samples in {@code records}, the agent's one per-socket table, and entries in {@code
   * callSites}, its one call-site table.
   */
  public CallSiteLedger(Reporter reporter, SocketRecords records, CallSites callSites) {
    this.reporter = reporter;
    this.records = records;
    this.callSites = callSites;
  }

  // ---- hooks (application threads) ----

  @Override
  public void bound(Api api, Object socket, BindOutcome outcome, InetAddress address, int port) {
    Kind kind;
    if (outcome.isClientPortZero()) {
      kind = Kind.BIND_PORT_ZERO;
    } else if (outcome == BindOutcome.EXPLICIT_PORT) {
      kind = Kind.EXPLICIT_SOURCE_PORT;
    } else {
      return;
    }
    seen[kind.ordinal()].increment();
    if (socket == null || !callSites.take()) {
      return;
    }
    String local = (address == null ? "*" : address.getHostAddress()) + ":" + port;
    if (records.samples() >= MAX_PENDING
        || !records.putSample(
            socket, new Sample(kind, api, outcome, local, records.site(socket)))) {
      pendingOverflow.increment();
      return;
    }
    sampled[kind.ordinal()].increment();
  }

  @Override
  public void connected(Object socket, Object remote, Object local, int localPort) {
    connectEnded(socket, remote, null);
  }

  @Override
  public void connectFailed(Object socket, Object remote, Throwable thrown, ConnectFailure cause) {
    connectEnded(socket, remote, cause);
  }

  /** Completes the socket's sample, if it has one. */
  private void connectEnded(Object socket, Object remote, ConnectFailure failure) {
    Sample s = (Sample) records.takeSample(socket);
    if (s != null) {
      s.destination = endpoint(remote);
      s.failure = failure;
      s.failedAt = "connect";
      submit(s);
    }
  }

  /** Marks the socket's sample, if it has one. */
  @Override
  public boolean localPortRead(Object socket, boolean assigned) {
    Sample s = (Sample) records.sample(socket);
    if (s == null || s.kind != Kind.BIND_PORT_ZERO || s.readBeforeConnect) {
      return false;
    }
    s.readBeforeConnect = true;
    return true;
  }

  /** A bind failed; the socket will not connect. */
  @Override
  public void bindFailed(Object socket, Object local, Throwable thrown, ConnectFailure cause) {
    Sample s = (Sample) records.takeSample(socket);
    if (s != null) {
      s.failure = cause;
      s.failedAt = "bind";
      submit(s);
    }
  }

  private void submit(Sample s) {
    reporter.submit(new Finding(Finding.Kind.CALL_SITE, s.api, s, s.destination, s.stack));
  }

  static String endpoint(Object address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      String host =
          inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  // ---- reporter thread ----

  /** Adds a completed sample (a {@link Finding.Kind#CALL_SITE} finding) to its call site. */
  public void aggregate(Finding finding) {
    Sample s = (Sample) finding.detail;
    String callSite = finding.callSite();
    synchronized (this) {
      CallSites.Site entry = callSites.site(callSite);
      Site site = entry == null ? null : (Site) entry.use(s.kind);
      if (site == null && entry != null) {
        // The only writer of Kind keys, under this lock: what is kept is this new entry, or none.
        site = (Site) entry.use(s.kind, new Site(s.kind, s.api, callSite, finding.thread));
        if (site != null) {
          sites.add(site);
        }
      }
      if (site == null) {
        sitesOverflow++;
        return;
      }
      site.add(s);
    }
  }

  // ---- reading (any thread) ----

  /** A copy of the entries, for rendering. */
  public synchronized List<Site> sites() {
    List<Site> out = new ArrayList<Site>();
    for (Site s : sites) {
      out.add(s.copy(scale(s.kind)));
    }
    return out;
  }

  private double scale(Kind kind) {
    long n = sampled[kind.ordinal()].sum();
    return n == 0 ? 1 : Math.max(1.0, (double) seen[kind.ordinal()].sum() / n);
  }

  public long seen(Kind kind) {
    return seen[kind.ordinal()].sum();
  }

  public long sampled(Kind kind) {
    return sampled[kind.ordinal()].sum();
  }

  public synchronized long sitesNotTracked() {
    return sitesOverflow;
  }

  /** Distinct call sites at most (all parts together). */
  public int maxSites() {
    return callSites.max();
  }

  public long pendingOverflow() {
    return pendingOverflow.sum();
  }

  /** A socket waiting for its connect, then a completed observation. */
  static final class Sample {
    final Kind kind;
    final Api api;
    final BindOutcome outcome;
    final String local;
    final Throwable stack;
    volatile String destination;
    volatile ConnectFailure failure;
    volatile String failedAt;

    /** The application read the local port before connect (see {@link #localPortRead}). */
    volatile boolean readBeforeConnect;

    Sample(Kind kind, Api api, BindOutcome outcome, String local, Throwable stack) {
      this.kind = kind;
      this.api = api;
      this.outcome = outcome;
      this.local = local;
      this.stack = stack;
    }
  }

  /** One call site's entry, guarded by the ledger; or a copy for rendering, with its estimate. */
  public static final class Site {
    final Kind kind;
    final Api api;
    final String callSite;
    final String firstThread;
    long firstSeenMillis = System.currentTimeMillis();
    long lastSeenMillis;
    long estimatedCount;
    boolean estimated;
    long samples;
    long connected;
    long readBeforeConnect;
    final Map<String, Long> failures = new TreeMap<String, Long>();
    final Map<String, Long> destinations = new TreeMap<String, Long>();
    long destinationsOverflow;
    final Map<String, Long> locals = new TreeMap<String, Long>();
    final Map<BindOutcome, Long> outcomes = new TreeMap<BindOutcome, Long>();

    Site(Kind kind, Api api, String callSite, String firstThread) {
      this.kind = kind;
      this.api = api;
      this.callSite = callSite;
      this.firstThread = firstThread;
    }

    /** A copy, its count estimated as the samples times {@code scale}. */
    Site copy(double scale) {
      Site c = new Site(kind, api, callSite, firstThread);
      c.firstSeenMillis = firstSeenMillis;
      c.lastSeenMillis = lastSeenMillis;
      c.samples = samples;
      c.estimatedCount = Math.round(samples * scale);
      c.estimated = scale > 1.0001;
      c.connected = connected;
      c.readBeforeConnect = readBeforeConnect;
      c.failures.putAll(failures);
      c.destinations.putAll(destinations);
      c.destinationsOverflow = destinationsOverflow;
      c.locals.putAll(locals);
      c.outcomes.putAll(outcomes);
      return c;
    }

    void add(Sample s) {
      samples++;
      lastSeenMillis = System.currentTimeMillis();
      bump(outcomes, s.outcome);
      if (locals.size() < 4 || locals.containsKey(s.local)) {
        bump(locals, s.local);
      }
      if (s.readBeforeConnect) {
        readBeforeConnect++;
      }
      if (s.failure == null) {
        connected++;
      } else {
        bump(failures, s.failure.label() + " at " + s.failedAt);
      }
      if (s.destination != null) {
        if (destinations.size() < MAX_DESTINATIONS || destinations.containsKey(s.destination)) {
          bump(destinations, s.destination);
        } else {
          destinationsOverflow++;
        }
      }
    }

    private static <K> void bump(Map<K, Long> map, K key) {
      Long n = map.get(key);
      map.put(key, n == null ? 1L : n + 1);
    }
  }
}
