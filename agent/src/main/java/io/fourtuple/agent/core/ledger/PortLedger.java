package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.SocketListener;
import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.kernel.Endpoint;
import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.report.CallSite;
import io.fourtuple.agent.core.report.CallSites;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The per-destination source-port ledger: what this JVM's client sockets hold, per destination
 * (remote IP and port), fed by the socket hooks and reconciled with the kernel's table by the
 * ledger thread.
 *
 * <p>Hook side ({@link #bound}, {@link #connected}, {@link #connectFailed}, {@link #bindFailed},
 * {@link #closed}): runs on application threads inside JDK socket methods, so it is lock-free or
 * holds a stripe monitor for a few writes, does no I/O and allocates little (one weak entry per
 * socket; a {@code Throwable}, filled in but not walked, for the first 8 connects to a destination
 * and one in 64 after, those within the agent's one sampling budget ({@link CallSites}), and for
 * every exhaustion failure).
 *
 * <p>Ledger-thread side ({@link #drainSamples}, {@link #reconcile}): turns sampled stacks into call
 * sites and removes sockets the hooks did not see close. Two ways a socket leaves without a close
 * hook: the application drops it and the collector reclaims it (the JDK's cleaner closes the
 * descriptor), or it is closed on a path the hooks do not cover. The first shows on the weak
 * references' queue; the second, and anything else, when the kernel table, read after the socket
 * connected, no longer shows it among this process's descriptors. So live counts follow the kernel
 * and do not drift.
 *
 * <p>Bounds: destinations past {@code maxDestinations} are summed in one overflow bucket; sockets
 * past {@code maxSockets} are counted but not followed; samples whose site does not fit the agent's
 * call-site table go to "other"; the sample queue drops (and counts) when full.
 */
public final class PortLedger implements SocketListener {
  static final int SAMPLE_QUEUE = 1024;

  private final int maxDestinations;

  /**
   * The agent's call sites: stack samples of connects past each destination's first {@link
   * Destination#FIRST_SAMPLES} take its one budget (one in 64 connects is a candidate, so a storm
   * fills in no more stacks than the budget), and the sites named by samples are its entries.
   */
  private final CallSites callSites;

  private final ConcurrentHashMap<InetSocketAddress, Destination> destinations =
      new ConcurrentHashMap<InetSocketAddress, Destination>();
  private final AtomicInteger destinationCount = new AtomicInteger();
  private final Destination overflow = new Destination(Endpoint.of(new byte[4], 0), true);
  private final LongAdder overflowConnects = new LongAdder();
  private final SocketRecords live;
  private final ArrayBlockingQueue<Sample> samples = new ArrayBlockingQueue<Sample>(SAMPLE_QUEUE);
  private final LongAdder samplesDropped = new LongAdder();
  private final AtomicLongArray bindFailures = new AtomicLongArray(ConnectFailure.values().length);
  private final LongAdder connects = new LongAdder();
  private final AtomicBoolean used = new AtomicBoolean();
  private volatile Runnable firstUse;
  private volatile int epoch;

  // Ledger thread only.
  private long callSitesOverCap;
  private final LongAdder closedByCollector = new LongAdder();
  private long closedPerKernel;

  /** With tables of its own, of {@code maxSockets} records and {@code maxCallSites} sites. */
  public PortLedger(int maxDestinations, int maxSockets, int maxCallSites) {
    this(maxDestinations, new SocketRecords(maxSockets), new CallSites(maxCallSites));
  }

  /**
   * Following sockets in {@code records}, the agent's one per-socket table, and naming sites in
   * {@code callSites}, its one call-site table.
   */
  public PortLedger(int maxDestinations, SocketRecords records, CallSites callSites) {
    this.maxDestinations = maxDestinations;
    this.callSites = callSites;
    this.live = records;
    records.onCollected(
        new SocketRecords.Visitor() {
          @Override
          public boolean visit(SocketRecords.Record entry) {
            return true;
          }

          @Override
          public void ended(SocketRecords.Record entry) {
            if (entry.destination() != null) {
              entry.destination().closed(entry.kind());
              closedByCollector.increment();
            }
          }
        });
  }

  /** The per-socket table the ledger follows sockets in. */
  public SocketRecords records() {
    return live;
  }

  /** The call-site table the ledger names sites in. */
  public CallSites callSites() {
    return callSites;
  }

  /**
   * Runs {@code listener} once, on the application thread of the first client socket the ledger
   * sees (a client bind, a connect, its failure): the ledger's thread, its MBean and its JFR events
   * start there, so a program that opens no socket pays for none of them. It must be quick and must
   * not throw: it may run under a JDK socket's state lock (the bind hooks), so it only starts a
   * thread built in advance, which takes no socket lock; the MBean, JFR and the kernel table are
   * that thread's work.
   */
  public void onFirstUse(Runnable listener) {
    firstUse = listener;
    if (used.get()) {
      listener.run();
    }
  }

  /** Whether any client socket reached the ledger. */
  public boolean used() {
    return used.get();
  }

  private void use() {
    if (!used.get() && used.compareAndSet(false, true)) {
      Runnable listener = firstUse;
      if (listener != null) {
        listener.run();
      }
    }
  }

  // ---- hooks (application threads) ----

  /** A client socket is about to bind; {@code outcome} says how (listeners are ignored). */
  @Override
  public void bound(Api api, Object socket, BindOutcome outcome, InetAddress address, int port) {
    SetupKind kind = SetupKind.of(outcome);
    if (kind == null) {
      return;
    }
    use();
    SocketRecords.Record e = live.follow(socket, kind, true);
    if (e != null && address != null && !address.isAnyLocalAddress()) {
      e.source(address);
    }
  }

  /**
   * The agent gave a deferred socket its port before connect, because the application read it: the
   * socket now holds that port for every destination, as a plain bind-before-connect does.
   */
  @Override
  public boolean localPortRead(Object socket, boolean assigned) {
    if (assigned) {
      live.follow(socket, SetupKind.BIND_PORT_0, true);
    }
    return false;
  }

  /**
   * A connect completed.
   *
   * @param local the local {@code InetSocketAddress}, or null with the port in {@code localPort}
   *     (java.net.Socket)
   */
  @Override
  public void connected(Object socket, Object remote, Object local, int localPort) {
    if (!(remote instanceof InetSocketAddress)) {
      return;
    }
    InetSocketAddress to = (InetSocketAddress) remote;
    if (to.isUnresolved()) {
      return;
    }
    use();
    connects.increment();
    Destination d = destination(to);
    SocketRecords.Record e = live.follow(socket, SetupKind.PLAIN_CONNECT, false);
    if (e != null && e.destination() != null) {
      return; // counted already (a second completion report for the same socket)
    }
    InetAddress source = e == null ? null : e.source();
    if (local instanceof InetSocketAddress) {
      InetSocketAddress l = (InetSocketAddress) local;
      localPort = l.getPort();
      if (l.getAddress() != null && !l.getAddress().isAnyLocalAddress()) {
        source = l.getAddress();
      }
    }
    SetupKind kind = e == null ? SetupKind.PLAIN_CONNECT : e.kind();
    if (e != null) {
      e.connectedTo(d, localPort, epoch);
    }
    long n = d.connected(kind, localPort, source, e != null);
    if (Destination.sampled(n) && (n <= Destination.FIRST_SAMPLES || callSites.take())) {
      Throwable site = d.takePendingSite();
      offer(new Sample(d, site != null ? site : live.site(socket), null, false, null));
    }
  }

  /**
   * A connect was left pending and will complete on another thread (an {@code
   * AsynchronousSocketChannel}'s poller): keeps this thread's stack for the completion's sample.
   */
  @Override
  public void connectPending(Object remote) {
    if (!(remote instanceof InetSocketAddress) || ((InetSocketAddress) remote).isUnresolved()) {
      return;
    }
    use();
    InetSocketAddress to = (InetSocketAddress) remote;
    Destination d = destinations.get(to);
    if (d == null && destinationCount.get() < maxDestinations) {
      d = destination(to); // not past the cap: the overflow row counts connects, not attempts
    }
    if (d != null) {
      d.pending();
    }
  }

  /** A connect failed. */
  @Override
  public void connectFailed(Object socket, Object remote, Throwable thrown, ConnectFailure cause) {
    if (!(remote instanceof InetSocketAddress) || ((InetSocketAddress) remote).isUnresolved()) {
      return;
    }
    use();
    Destination d = destination((InetSocketAddress) remote);
    d.failed(cause);
    if (isExhaustion(cause) || d.failures() <= 8) {
      offer(new Sample(d, live.site(socket), cause, false, d.label()));
    }
  }

  /**
   * A bind failed; counted when it is a client bind the ledger saw (listeners are not). The
   * destination is not known yet.
   */
  @Override
  public void bindFailed(Object socket, Object local, Throwable thrown, ConnectFailure cause) {
    if (!live.followed(socket)) {
      return;
    }
    bindFailures.incrementAndGet(cause.ordinal());
    if (isExhaustion(cause)) {
      offer(new Sample(null, live.site(socket), cause, true, String.valueOf(local)));
    }
  }

  /** A socket is closing (close hook, before the JDK closes it). */
  public void closed(Object socket) {
    SocketRecords.Record r = live.closing(socket);
    if (r != null) {
      closed(r);
    }
  }

  /** The socket of {@code r} is closing. */
  @Override
  public void closed(SocketRecords.Record r) {
    if (live.unfollow(r) && r.destination() != null) {
      r.destination().closed(r.kind());
    }
  }

  static boolean isExhaustion(ConnectFailure cause) {
    return cause == ConnectFailure.ADDRESS_IN_USE || cause == ConnectFailure.ADDRESS_NOT_AVAILABLE;
  }

  private Destination destination(InetSocketAddress to) {
    Destination d = destinations.get(to);
    if (d != null) {
      return d;
    }
    if (destinationCount.get() >= maxDestinations) {
      overflowConnects.increment();
      return overflow;
    }
    Destination created = new Destination(Endpoint.of(to), false);
    Destination raced = destinations.putIfAbsent(to, created);
    if (raced != null) {
      return raced;
    }
    destinationCount.incrementAndGet();
    return created;
  }

  private void offer(Sample s) {
    if (!samples.offer(s)) {
      samplesDropped.increment();
    }
  }

  // ---- ledger thread ----

  /**
   * Starts a new epoch; sockets that connect from now on are not expected in a table read after it.
   */
  public int advanceEpoch() {
    return ++epoch;
  }

  /** Receives exhaustion failures drained from the hooks, with their call site. */
  public interface FailureSink {
    void failure(
        String destination, boolean atBind, ConnectFailure cause, String callSite, long timeMillis);
  }

  /** Turns sampled stacks into call sites; hands exhaustion failures to {@code sink}. */
  public int drainSamples(FailureSink sink) {
    int n = 0;
    Sample s;
    while ((s = samples.poll()) != null) {
      n++;
      String text = CallSite.of(s.stack);
      CallSites.Site site = callSites.site(text);
      if (site == null) {
        callSitesOverCap++;
      }
      if (s.destination != null) {
        s.destination.callSite(site != null ? site.text : text, site != null);
      }
      if (s.failure != null && isExhaustion(s.failure) && sink != null) {
        sink.failure(s.target, s.atBind, s.failure, text, s.timeMillis);
      }
    }
    return n;
  }

  /**
   * Removes sockets that are gone: collected without a close, or absent from the kernel table among
   * this process's sockets although they connected before the epoch {@code scanEpoch} began. Also
   * counts, per destination, the ports of the range its live bind-before-connect sockets hold for
   * everyone.
   *
   * @param view the table read after {@link #advanceEpoch} returned {@code scanEpoch}; null or
   *     without this process's descriptors: only the collector's work is reconciled
   */
  public void reconcile(final KernelView view, final int scanEpoch, final PortRange range) {
    live.expunge();
    for (Destination d : destinations.values()) {
      d.heldForAllInRange = 0;
    }
    final boolean checkKernel = view != null && view.available() && view.ownKnown();
    live.forEachFollowed(
        new SocketRecords.Visitor() {
          @Override
          public boolean visit(SocketRecords.Record e) {
            Destination d = e.destination();
            if (d == null) {
              return e.get() == null;
            }
            if (checkKernel && !d.isOverflow() && e.epoch() < scanEpoch) {
              KernelView.DestinationTable t = view.destination(d.endpoint());
              if (t == null || !t.ownsPort(e.localPort())) {
                return true;
              }
            }
            if (range != null && e.kind().holdsPortForAll() && range.contains(e.localPort())) {
              d.heldForAllInRange++;
            }
            return false;
          }

          @Override
          public void ended(SocketRecords.Record e) {
            if (e.destination() != null) {
              e.destination().closed(e.kind());
              closedPerKernel++;
            }
          }
        });
    if (view != null) {
      for (KernelView.DestinationTable t : view.destinations()) {
        InetSocketAddress key =
            new InetSocketAddress(addressOf(t.destination()), t.destination().port());
        Destination d = destinations.get(key);
        if (d != null && t.own() > 0) {
          for (KernelView.SourceUse s : t.sources()) {
            d.sourceSeen(addressOf(s.source()));
          }
        }
      }
    }
  }

  private static InetAddress addressOf(Endpoint e) {
    return e.address();
  }

  /** The followed destinations (not the overflow bucket). */
  public List<Destination> destinations() {
    return new ArrayList<Destination>(destinations.values());
  }

  /** Their endpoints, for the kernel table reader's filter. */
  public Set<Endpoint> endpoints() {
    Set<Endpoint> out = new LinkedHashSet<Endpoint>();
    for (Destination d : destinations.values()) {
      out.add(d.endpoint());
    }
    return out;
  }

  /** The bucket for destinations past the cap. */
  public Destination overflow() {
    return overflow;
  }

  /** Connects (and failures) to destinations past the cap. */
  public long overflowConnects() {
    return overflowConnects.sum();
  }

  public int maxDestinations() {
    return maxDestinations;
  }

  public long connects() {
    return connects.sum();
  }

  public long bindFailures(ConnectFailure cause) {
    return bindFailures.get(cause.ordinal());
  }

  /** Sockets followed now (bound or connected, not yet closed). */
  public int followedSockets() {
    return live.followedCount();
  }

  public int maxSockets() {
    return live.capacity();
  }

  /** Sockets not followed because {@code maxSockets} was reached. */
  public long untrackedSockets() {
    return live.untracked();
  }

  public long samplesDropped() {
    return samplesDropped.sum();
  }

  public long callSitesOverCap() {
    return callSitesOverCap;
  }

  public int maxCallSites() {
    return callSites.max();
  }

  /** Connected sockets removed because the collector reclaimed them unclosed. */
  public long closedByCollector() {
    return closedByCollector.sum();
  }

  /** Connected sockets removed because the kernel no longer showed them as this process's. */
  public long closedPerKernel() {
    return closedPerKernel;
  }
}
