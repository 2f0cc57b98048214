package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.kernel.Endpoint;
import io.fourtuple.agent.core.report.CallSite;
import io.fourtuple.agent.core.report.CallSites;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * What the hooks have seen of one destination (remote IP and port). Counters are updated lock-free
 * from application threads; call sites only on the ledger thread. The port and source sets are read
 * without a lock: a connect from a port or source IP already seen (the steady state: a busy
 * destination cycles through the same range) only reads a published array; this object's monitor is
 * taken only to add a port to the small set or a new source IP, both copy-on-write, and never once
 * the ports are a bitmap. Fixed size per destination: distinct ports switch from a small sorted
 * array to one 8 KB bitmap, set by compare-and-set, past {@link #PORT_SET_LIMIT}; source IPs stop
 * at {@link #MAX_SOURCES} (the rest counted), call sites at {@link #MAX_CALL_SITES} (the rest
 * counted as "other").
 */
public final class Destination {
  static final int PORT_SET_LIMIT = 1024;
  static final int MAX_SOURCES = 8;
  static final int MAX_CALL_SITES = 8;

  private static final AtomicIntegerFieldUpdater<Destination> LIVE =
      AtomicIntegerFieldUpdater.newUpdater(Destination.class, "live");
  private static final AtomicIntegerFieldUpdater<Destination> PEAK =
      AtomicIntegerFieldUpdater.newUpdater(Destination.class, "peak");
  private static final AtomicLongFieldUpdater<Destination> TOTAL =
      AtomicLongFieldUpdater.newUpdater(Destination.class, "total");
  private static final AtomicIntegerFieldUpdater<Destination> SOURCE_OVERFLOW =
      AtomicIntegerFieldUpdater.newUpdater(Destination.class, "sourceOverflow");

  private final Endpoint endpoint;
  private final boolean overflow;
  private volatile int live;
  private volatile int peak;
  private volatile long total;
  private volatile int lastKind = -1;

  /**
   * The application's stack at a connect left pending whose completion will be sampled: an {@code
   * AsynchronousSocketChannel} connect completes on the channel group's poller thread, whose stack
   * names no application frame. Last writer wins; it is a sample.
   */
  private volatile Throwable pendingSite;

  /**
   * One array for all per-kind and per-cause counters (one object instead of three): live by setup
   * kind, then total by setup kind, then failures by cause.
   */
  private final AtomicLongArray counters = new AtomicLongArray(KINDS * 2 + CAUSES);

  private static final int KINDS = SetupKind.values().length;
  private static final int CAUSES = ConnectFailure.values().length;
  private static final int TOTAL_BY_KIND = KINDS;
  private static final int FAILURES = KINDS * 2;

  private static final int[] NO_PORTS = new int[0];

  /**
   * Distinct local ports while there are at most {@link #PORT_SET_LIMIT}: sorted, replaced (never
   * changed) under the monitor; null once {@link #portBits} holds them.
   */
  private volatile int[] ports = NO_PORTS;

  /** Past {@link #PORT_SET_LIMIT}: one bit per port, set lock-free; null before. */
  private volatile AtomicLongArray portBits;

  /** Source IPs, replaced (never changed) under the monitor; null before the first. */
  private volatile InetAddress[] sources;

  private volatile int sourceOverflow;

  // Ledger thread only. Call sites as two small parallel arrays (most destinations have one or
  // two).
  private String[] siteNames;
  private long[] siteCounts;
  private int sites;
  private long otherCallSites;
  private String label;
  long totalAtLastTick;
  long lastTickNanos;

  /** Made once the destination uses a twentieth of its capacity. */
  Forecast forecast;

  /** Ports in range that this JVM's live bind-before-connect sockets to here hold for everyone. */
  int heldForAllInRange;

  Destination(Endpoint endpoint, boolean overflow) {
    this.endpoint = endpoint;
    this.overflow = overflow;
  }

  /** The destination; for the overflow bucket, 0.0.0.0:0. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** True for the bucket that aggregates destinations past the cap. */
  public boolean isOverflow() {
    return overflow;
  }

  /** {@code 10.0.0.7:443}, or {@code (other destinations)} for the overflow bucket. */
  public String label() {
    String l = label;
    if (l == null) {
      l = overflow ? "(other destinations)" : endpoint.toString();
      label = l;
    }
    return l;
  }

  /** Connects to a destination whose stacks are all sampled, before one in 64. */
  static final int FIRST_SAMPLES = 8;

  /**
   * Counts a completed connect (live too when the socket is followed to its close); returns its
   * number among this destination's connects, for {@link #sampled}.
   */
  long connected(SetupKind kind, int localPort, InetAddress source, boolean tracked) {
    if (tracked) {
      int now = LIVE.incrementAndGet(this);
      int p;
      while (now > (p = peak) && !PEAK.compareAndSet(this, p, now)) {
        // retry
      }
      counters.incrementAndGet(kind.ordinal());
    }
    long n = TOTAL.incrementAndGet(this);
    counters.incrementAndGet(TOTAL_BY_KIND + kind.ordinal());
    int k = kind.ordinal();
    if (lastKind != k) {
      lastKind = k; // a write only on a change: every connect here shares this cache line
    }
    if (localPort > 0 && localPort < 65536) {
      portUsed(localPort);
    }
    if (source != null && !source.isAnyLocalAddress()) {
      sourceSeen(source);
    }
    return n;
  }

  /**
   * Whether the {@code n}th connect to a destination is a candidate for a stack sample: the first
   * {@link #FIRST_SAMPLES}, then one in 64 (the ledger's sampler then bounds those per second).
   */
  static boolean sampled(long n) {
    return n <= FIRST_SAMPLES || (n & 63) == 0;
  }

  /** Adds {@code port} (1-65535) to the distinct ports; locks only to add to the small set. */
  private void portUsed(int port) {
    AtomicLongArray bits = portBits;
    if (bits == null) {
      int[] small = ports;
      if (small != null && Arrays.binarySearch(small, port) >= 0) {
        return;
      }
      synchronized (this) {
        bits = portBits;
        if (bits == null) {
          addSmall(port);
          return;
        }
      }
    }
    setBit(bits, port);
  }

  /** Under the monitor, with no bitmap yet. */
  private void addSmall(int port) {
    int[] small = ports;
    int at = Arrays.binarySearch(small, port);
    if (at >= 0) {
      return;
    }
    at = -at - 1;
    if (small.length < PORT_SET_LIMIT) {
      int[] more = new int[small.length + 1];
      System.arraycopy(small, 0, more, 0, at);
      more[at] = port;
      System.arraycopy(small, at, more, at + 1, small.length - at);
      ports = more;
      return;
    }
    AtomicLongArray bits = new AtomicLongArray(65536 / 64);
    for (int p : small) {
      setBit(bits, p);
    }
    setBit(bits, port);
    portBits = bits; // published before the small set goes: a reader sees one or the other
    ports = null;
  }

  private static void setBit(AtomicLongArray bits, int port) {
    int word = port >>> 6;
    long mask = 1L << port;
    long w;
    while (((w = bits.get(word)) & mask) == 0 && !bits.compareAndSet(word, w, w | mask)) {
      // retry: another port of the same word was set meanwhile
    }
  }

  /**
   * A connect to this destination is left pending on the current (application) thread; keeps its
   * stack when the completion will be sampled (see {@link #connected}).
   */
  void pending() {
    if (sampled(total + 1)) {
      pendingSite = CallSite.here();
    }
  }

  /** The stack kept by {@link #pending}, once; null when there is none. */
  Throwable takePendingSite() {
    Throwable site = pendingSite;
    if (site != null) {
      pendingSite = null;
    }
    return site;
  }

  private static boolean contains(InetAddress[] known, InetAddress source) {
    if (known != null) {
      for (InetAddress s : known) {
        if (s.equals(source)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Records a source IP, from a connect or from the kernel table (ledger thread); locks only to add
   * one not seen yet while there is room (past {@link #MAX_SOURCES} it is counted, lock-free).
   */
  void sourceSeen(InetAddress source) {
    InetAddress[] seen = sources;
    if (contains(seen, source)) {
      return;
    }
    if (seen != null && seen.length >= MAX_SOURCES) {
      SOURCE_OVERFLOW.incrementAndGet(this);
      return;
    }
    synchronized (this) {
      InetAddress[] known = sources;
      if (contains(known, source)) {
        return;
      }
      if (known == null) {
        sources = new InetAddress[] {source};
      } else if (known.length >= MAX_SOURCES) {
        SOURCE_OVERFLOW.incrementAndGet(this);
      } else {
        InetAddress[] more = Arrays.copyOf(known, known.length + 1);
        more[known.length] = source;
        sources = more;
      }
    }
  }

  void closed(SetupKind kind) {
    LIVE.decrementAndGet(this);
    counters.decrementAndGet(kind.ordinal());
  }

  void failed(ConnectFailure cause) {
    counters.incrementAndGet(FAILURES + cause.ordinal());
  }

  /** Ledger thread: one sampled stack's application frame. */
  void callSite(String site, boolean mayAddNew) {
    for (int i = 0; i < sites; i++) {
      if (siteNames[i].equals(site)) {
        siteCounts[i]++;
        return;
      }
    }
    if (!mayAddNew || sites == MAX_CALL_SITES) {
      otherCallSites++;
      return;
    }
    if (siteNames == null || sites == siteNames.length) {
      int n = siteNames == null ? 1 : Math.min(MAX_CALL_SITES, sites * 2);
      siteNames = java.util.Arrays.copyOf(siteNames == null ? new String[0] : siteNames, n);
      siteCounts = java.util.Arrays.copyOf(siteCounts == null ? new long[0] : siteCounts, n);
    }
    siteNames[sites] = site;
    siteCounts[sites] = 1;
    sites++;
  }

  public int live() {
    return live;
  }

  public int peak() {
    return peak;
  }

  public long total() {
    return total;
  }

  public int live(SetupKind kind) {
    return (int) counters.get(kind.ordinal());
  }

  public long total(SetupKind kind) {
    return counters.get(TOTAL_BY_KIND + kind.ordinal());
  }

  /** How the last connected socket was set up, or null before the first connect. */
  public SetupKind lastKind() {
    int k = lastKind;
    return k < 0 ? null : SetupKind.ofOrdinal(k);
  }

  public long failures(ConnectFailure cause) {
    return counters.get(FAILURES + cause.ordinal());
  }

  public long failures() {
    long n = 0;
    for (int i = 0; i < CAUSES; i++) {
      n += counters.get(FAILURES + i);
    }
    return n;
  }

  /** Distinct local ports used toward this destination since start. */
  public int distinctPorts() {
    int[] small = ports;
    AtomicLongArray bits = portBits;
    if (bits == null) {
      return small.length; // read before the bitmap: not null while the bitmap is
    }
    int n = 0;
    for (int i = 0; i < bits.length(); i++) {
      n += Long.bitCount(bits.get(i));
    }
    return n;
  }

  /** Source IPs seen (at most {@link #MAX_SOURCES}). */
  public List<String> sources() {
    InetAddress[] known = sources;
    if (known == null) {
      return Collections.emptyList();
    }
    if (known.length == 1) {
      return Collections.singletonList(known[0].getHostAddress());
    }
    List<String> out = new ArrayList<String>(known.length);
    for (InetAddress s : known) {
      out.add(s.getHostAddress());
    }
    return out;
  }

  public int sourceOverflow() {
    return sourceOverflow;
  }

  /** Sampled call sites, most frequent first, with sample counts; at most {@code limit}. */
  public List<Map.Entry<String, Long>> topCallSites(int limit) {
    if (sites == 0) {
      return Collections.emptyList();
    }
    if (sites == 1) {
      return Collections.<Map.Entry<String, Long>>singletonList(
          new java.util.AbstractMap.SimpleImmutableEntry<String, Long>(
              siteNames[0], siteCounts[0]));
    }
    List<Map.Entry<String, Long>> all = new ArrayList<Map.Entry<String, Long>>(sites);
    for (int i = 0; i < sites; i++) {
      all.add(
          new java.util.AbstractMap.SimpleImmutableEntry<String, Long>(
              siteNames[i], siteCounts[i]));
    }
    Collections.sort(all, CallSites.MostFirst.INSTANCE);
    return all.size() > limit ? new ArrayList<Map.Entry<String, Long>>(all.subList(0, limit)) : all;
  }

  /** Samples whose call site did not fit the per-destination or global cap. */
  public long otherCallSites() {
    return otherCallSites;
  }
}
