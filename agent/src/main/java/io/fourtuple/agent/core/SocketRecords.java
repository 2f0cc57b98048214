package io.fourtuple.agent.core;

import io.fourtuple.agent.core.ledger.Destination;
import io.fourtuple.agent.core.ledger.SetupKind;
import io.fourtuple.agent.core.report.CallSite;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one table of per-socket state: one {@link Record} per socket the agent follows, keyed by
 * identity and held weakly, whoever needs it — the port ledger (setup kind, source, destination,
 * local port), the SO_LINGER guard (a close to time) and Netty's own option (the value the
 * application chose). The agent must never keep a socket reachable, or a socket the application
 * forgot would never be closed by the JDK's cleaner; a socket collected without a close shows up on
 * the reference queue.
 *
 * <p>The key of a socket is the same object for every hook: the {@code SocketImpl} that does the
 * work for a {@code java.net.Socket} (on JDK 13+ the platform implementation a {@code
 * SocksSocketImpl} delegates to), the channel for NIO and asynchronous channels, the {@code
 * LinuxSocket} for Netty epoll. The handler turns what a hook pushes into the key ({@link
 * SocketEventHandler}).
 *
 * <p>Bounded: past {@code capacity} records new sockets are not followed (counted in {@link
 * #untracked()}). A record is one weak reference with a few fields, 48 bytes with compressed
 * references (100k sockets: 4.8 MB); what only some sockets have (a linger close to time, a sampled
 * call site waiting for the connect) hangs off the one link field in a small side object. Chained
 * in 64 striped hash tables; no per-lookup allocation. A stripe's monitor is held for a lookup and
 * a few field writes, never across a call out: a lock-free table would need a node per entry or a
 * resize protocol, and a measured attempt with a node per entry did not fit the ledger's heap
 * budget.
 */
public final class SocketRecords {

  /**
   * One followed socket. Written by the threads using the socket (hooks), read by the ledger
   * thread; the chain and the membership flags are written under the stripe lock, the link with a
   * compare-and-set (a close, a linger set and a connect completing may race on another thread).
   */
  public static final class Record extends WeakReference<Object> {
    private static final AtomicReferenceFieldUpdater<Record, Object> LINK =
        AtomicReferenceFieldUpdater.newUpdater(Record.class, Object.class, "link");

    private static final byte FOLLOWED = 1;
    private static final byte OWN_SET = 2;
    private static final byte OWN_ON = 4;

    final int hash;
    Record next;

    /**
     * Before connect, the bind's source address ({@code InetAddress}) or null; after, the {@link
     * Destination}; or a {@link Details} holding either, for good once created (so no write to it
     * is lost). One field for all keeps a record at 48 bytes.
     */
    private volatile Object link;

    private char localPort;
    private byte kind;
    private byte flags;

    /** The ledger epoch at connect: the kernel table read in a later epoch must show the socket. */
    private int epoch;

    Record(Object socket, int hash, ReferenceQueue<Object> queue) {
      super(socket, queue);
      this.hash = hash;
    }

    /** Whether the port ledger follows this socket (a client bind or connect was seen). */
    public boolean followed() {
      return (flags & FOLLOWED) != 0;
    }

    public SetupKind kind() {
      return SetupKind.ofOrdinal(kind);
    }

    public int localPort() {
      return localPort;
    }

    public int epoch() {
      return epoch;
    }

    /** The destination once connected, else null. */
    public Destination destination() {
      Object l = plainLink();
      return l instanceof Destination ? (Destination) l : null;
    }

    /** The source address the socket was bound to (before connect), else null. */
    public InetAddress source() {
      Object l = plainLink();
      return l instanceof InetAddress ? (InetAddress) l : null;
    }

    public void source(InetAddress address) {
      if (!(plainLink() instanceof Destination)) {
        setPlainLink(address);
      }
    }

    public void connectedTo(Destination d, int port, int atEpoch) {
      localPort = (char) port;
      epoch = atEpoch;
      setPlainLink(d);
    }

    /**
     * The value the application gave Netty's own IP_BIND_ADDRESS_NO_PORT, or null if it did not.
     */
    public Boolean ownOption() {
      byte f = flags;
      return (f & OWN_SET) == 0 ? null : Boolean.valueOf((f & OWN_ON) != 0);
    }

    /** The socket's close is to be timed ({@link #linger(int, int)}), else null. */
    public Details lingering() {
      Details d = details();
      return d != null && d.seconds > 0 ? d : null;
    }

    /**
     * Linger was set on with {@code seconds} (positive) through {@code api} (an {@code Api}
     * ordinal).
     */
    public void linger(int api, int seconds) {
      Details d = detailsCreated();
      d.api = api;
      d.seconds = seconds;
    }

    /** Linger was set off: the close is not timed. */
    public void lingerOff() {
      Details d = details();
      if (d != null) {
        d.seconds = 0;
        d.closeStart = 0;
      }
    }

    /** The call-site sample waiting for this socket's connect, or null. */
    public Object sample() {
      Details d = details();
      return d == null ? null : d.sample;
    }

    private Details details() {
      Object l = link;
      return l instanceof Details ? (Details) l : null;
    }

    private Details detailsCreated() {
      while (true) {
        Object l = link;
        if (l instanceof Details) {
          return (Details) l;
        }
        Details d = new Details(l);
        if (LINK.compareAndSet(this, l, d)) {
          return d;
        }
      }
    }

    private Object plainLink() {
      Object l = link;
      return l instanceof Details ? ((Details) l).link : l;
    }

    private void setPlainLink(Object value) {
      while (true) {
        Object l = link;
        if (l instanceof Details) {
          ((Details) l).link = value;
          return;
        }
        if (LINK.compareAndSet(this, l, value)) {
          return;
        }
      }
    }
  }

  /**
   * What only some sockets carry: linger left on (the set, and the start of the close to time) and
   * a sampled call site waiting for the connect.
   */
  public static final class Details {
    private volatile int api;
    private volatile int seconds;
    private volatile long closeStart;
    private volatile Object sample;
    private volatile Throwable origin;
    volatile Object link;

    Details(Object link) {
      this.link = link;
    }

    public int api() {
      return api;
    }

    public int seconds() {
      return seconds;
    }

    public long closeStart() {
      return closeStart;
    }

    public void closeStarts(long nanos) {
      closeStart = nanos;
    }

    /** The stack to name this socket's call site by: its origin, else the current thread's. */
    public Throwable site() {
      Throwable o = origin;
      return o != null ? o : CallSite.here();
    }
  }

  /** Visits records on the ledger thread. */
  public interface Visitor {
    /** Returns true to end the ledger's following of the record. */
    boolean visit(Record record);

    /** The ledger's following ended by this visit (not by a concurrent close): count it. */
    void ended(Record record);
  }

  private static final int STRIPES = 64;

  /**
   * Slots of the identity hash for {@link #present}: each slot's low bits are its stripe's, so a
   * slot is only ever written under one stripe's lock.
   */
  private static final int SLOTS = 1 << 14;

  /** Origins kept at once, a few hundred bytes each until the stack is walked. */
  static final int MAX_ORIGINS = 4096;

  private final Stripe[] stripes = new Stripe[STRIPES];

  /**
   * Records per hash slot, written under the slot's stripe lock and read without it: a lookup of a
   * socket whose slot holds none (an accepted socket's close, a client socket's first bind) takes
   * no lock and walks no chain. A stale read can only miss a record made on another thread that did
   * not hand the socket over to this one, which a lookup under the lock could miss just the same.
   * 64 KB.
   */
  private final int[] present = new int[SLOTS];

  private final ReferenceQueue<Object> queue = new ReferenceQueue<Object>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicInteger followed = new AtomicInteger();
  private final AtomicInteger samples = new AtomicInteger();
  private final AtomicInteger origins = new AtomicInteger();
  private final int capacity;

  /** Bumped under any stripe's lock, so by many threads at once: not a plain field. */
  private final LongAdder untracked = new LongAdder();

  private volatile boolean anyOwnOption;
  private volatile boolean anyLingering;

  /** Told of each followed socket the collector reclaimed (the port ledger); none by default. */
  private volatile Visitor collected = NONE;

  private static final Visitor NONE =
      new Visitor() {
        @Override
        public boolean visit(Record record) {
          return false;
        }

        @Override
        public void ended(Record record) {}
      };

  public SocketRecords(int capacity) {
    this.capacity = capacity;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static final class Stripe {
    Record[] table = new Record[16];
    int size;
  }

  private Stripe stripe(int hash) {
    return stripes[(hash ^ (hash >>> 16)) & (STRIPES - 1)];
  }

  /** The record of {@code socket}, or null. */
  public Record get(Object socket) {
    if (socket == null) {
      return null;
    }
    int hash = System.identityHashCode(socket);
    if (absent(hash)) {
      return null;
    }
    Stripe s = stripe(hash);
    synchronized (s) {
      return find(s, socket, hash);
    }
  }

  /** No record has {@code hash}'s slot: none can be the socket's (read without a lock). */
  private boolean absent(int hash) {
    return present[slot(hash)] == 0;
  }

  private static int slot(int hash) {
    return (hash ^ (hash >>> 16)) & (SLOTS - 1);
  }

  /** The record of {@code socket}, created if absent; null when the table is full. */
  public Record getOrAdd(Object socket) {
    if (socket == null) {
      return null;
    }
    expunge();
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      return findOrAdd(s, socket, hash);
    }
  }

  /**
   * The record of {@code socket}, followed by the ledger from now on with {@code kind} (or, already
   * followed and not connected, given {@code kind} when {@code updateKind}); null when full.
   */
  public Record follow(Object socket, SetupKind kind, boolean updateKind) {
    if (socket == null) {
      return null;
    }
    expunge();
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = findOrAdd(s, socket, hash);
      if (r == null) {
        return null;
      }
      if (!r.followed()) {
        r.flags |= Record.FOLLOWED;
        r.kind = (byte) kind.ordinal();
        followed.incrementAndGet();
      } else if (updateKind && r.destination() == null) {
        r.kind = (byte) kind.ordinal();
      }
      return r;
    }
  }

  /** Whether the ledger follows {@code socket}. */
  public boolean followed(Object socket) {
    Record r = get(socket);
    return r != null && r.followed();
  }

  /** Records Netty's own option, set by the application on {@code socket}; false when full. */
  public boolean ownOption(Object socket, boolean value) {
    expunge();
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = findOrAdd(s, socket, hash);
      if (r == null) {
        return false;
      }
      r.flags = (byte) (r.flags | Record.OWN_SET);
      r.flags = (byte) (value ? r.flags | Record.OWN_ON : r.flags & ~Record.OWN_ON);
      anyOwnOption = true;
      return true;
    }
  }

  /** Netty's own option on {@code socket}, or null; one volatile read until any was set. */
  public Boolean ownOption(Object socket) {
    if (!anyOwnOption) {
      return null;
    }
    Record r = get(socket);
    return r == null ? null : r.ownOption();
  }

  /**
   * Remembers that {@code socket} was left with linger on; false when full (its close is not
   * timed).
   */
  public boolean lingering(Object socket, int api, int seconds) {
    Record r = getOrAdd(socket);
    if (r == null) {
      return false;
    }
    r.linger(api, seconds);
    anyLingering = true;
    return true;
  }

  /** The linger state of {@code socket}, or null; one volatile read until any socket lingered. */
  public Details lingering(Object socket) {
    if (!anyLingering) {
      return null;
    }
    Record r = get(socket);
    return r == null ? null : r.lingering();
  }

  /** Linger was set off on {@code socket}. */
  public void lingerOff(Object socket) {
    if (anyLingering) {
      Record r = get(socket);
      if (r != null) {
        r.lingerOff();
      }
    }
  }

  /**
   * Ends the ledger's following of {@code r}; returns true if this call ended it (so exactly one of
   * a close and a reconciliation counts the socket closed).
   */
  public boolean unfollow(Record r) {
    Stripe s = stripe(r.hash);
    synchronized (s) {
      if (!r.followed()) {
        return false;
      }
      r.flags &= ~Record.FOLLOWED;
      followed.decrementAndGet();
      return true;
    }
  }

  /**
   * {@code socket} is closing (the close hook, before the JDK closes it): returns its record, or
   * null, forgotten unless its close is still to be timed ({@link #closed(Object)} does it then).
   */
  public Record closing(Object socket) {
    if (socket == null) {
      return null;
    }
    int hash = System.identityHashCode(socket);
    if (absent(hash)) {
      return null;
    }
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = find(s, socket, hash);
      if (r != null) {
        takeSample(r); // closed before its connect: no observation to complete
        if (r.lingering() == null) {
          unlink(s, r);
        }
      }
      return r;
    }
  }

  /**
   * The close of {@code socket} returned: drops its linger state, and its record unless the ledger
   * still follows it (its own close hook comes, or the kernel table tells); returns that linger
   * state, or null.
   */
  public Details closed(Object socket) {
    if (!anyLingering || socket == null) {
      return null;
    }
    int hash = System.identityHashCode(socket);
    if (absent(hash)) {
      return null;
    }
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = find(s, socket, hash);
      Details l = r == null ? null : r.lingering();
      if (l == null) {
        return null;
      }
      Details copy = new Details(null);
      copy.api = l.api;
      copy.seconds = l.seconds;
      copy.closeStart = l.closeStart;
      copy.origin = l.origin;
      r.lingerOff();
      if (!r.followed()) {
        unlink(s, r);
      }
      return copy;
    }
  }

  /**
   * Leaves the call-site {@code sample} of {@code socket} in its record until its connect; false
   * when the table is full.
   */
  public boolean putSample(Object socket, Object sample) {
    expunge();
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = findOrAdd(s, socket, hash);
      if (r == null) {
        return false;
      }
      Details d = r.detailsCreated();
      if (d.sample == null) {
        samples.incrementAndGet();
      }
      d.sample = sample;
      return true;
    }
  }

  /** Takes the call-site sample out of the record of {@code socket}; null if it has none. */
  public Object takeSample(Object socket) {
    if (samples.get() == 0 || socket == null) {
      return null;
    }
    int hash = System.identityHashCode(socket);
    if (absent(hash)) {
      return null;
    }
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = find(s, socket, hash);
      return r == null ? null : takeSample(r);
    }
  }

  /** Takes the call-site sample out of {@code r}, whose stripe lock the caller holds, or null. */
  private Object takeSample(Record r) {
    Details d = r.details();
    Object sample = d == null ? null : d.sample;
    if (sample != null) {
      d.sample = null;
      samples.decrementAndGet();
    }
    return sample;
  }

  /** The call-site sample of {@code socket}, left in place; null if it has none. */
  public Object sample(Object socket) {
    if (samples.get() == 0) {
      return null;
    }
    Record r = get(socket);
    return r == null ? null : r.sample();
  }

  /**
   * Keeps {@code origin}, the stack of the thread that created {@code socket} (a Netty channel made
   * on the caller's thread, connected later on an event loop), as the socket's call site for as
   * long as its record lives; false when {@link #MAX_ORIGINS} are kept or the table is full.
   */
  public boolean putOrigin(Object socket, Throwable origin) {
    if (origins.get() >= MAX_ORIGINS) {
      return false;
    }
    expunge();
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Record r = findOrAdd(s, socket, hash);
      if (r == null) {
        return false;
      }
      Details d = r.detailsCreated();
      if (d.origin == null) {
        origins.incrementAndGet();
        d.origin = origin;
      }
      return true;
    }
  }

  /**
   * The stack to name the call site of {@code socket} by, on the thread of a hook: the origin kept
   * for it ({@link #putOrigin}), else this thread's. Every part names its sites through here.
   */
  public Throwable site(Object socket) {
    Details d = origins.get() == 0 || socket == null ? null : detailsOf(socket);
    return d != null ? d.site() : CallSite.here();
  }

  private Details detailsOf(Object socket) {
    Record r = get(socket);
    return r == null ? null : r.details();
  }

  /** Records holding an origin ({@link #putOrigin}). */
  public int origins() {
    return origins.get();
  }

  /** Records holding a call-site sample, waiting for their socket's connect. */
  public int samples() {
    return samples.get();
  }

  /** Whether any socket was ever left with linger on (until then closes cost one volatile read). */
  public boolean anyLingering() {
    return anyLingering;
  }

  /** Forgets {@code r}; a no-op if it is gone already. */
  public void remove(Record r) {
    Stripe s = stripe(r.hash);
    synchronized (s) {
      unlink(s, r);
    }
  }

  /** Unlinks {@code r} from {@code s}, whose lock the caller holds. */
  private void unlink(Stripe s, Record r) {
    Record[] t = s.table;
    int i = index(r.hash, t.length);
    Record previous = null;
    for (Record e = t[i]; e != null; previous = e, e = e.next) {
      if (e == r) {
        if (previous == null) {
          t[i] = e.next;
        } else {
          previous.next = e.next;
        }
        e.next = null;
        s.size--;
        present[slot(e.hash)]--;
        size.decrementAndGet();
        Details d = e.details();
        if (d != null && d.origin != null) {
          d.origin = null;
          origins.decrementAndGet();
        }
        return;
      }
    }
  }

  /** Whom to tell ({@link Visitor#ended}) of each followed socket the collector reclaimed. */
  public void onCollected(Visitor visitor) {
    collected = visitor;
  }

  /**
   * Forgets the records of sockets the collector reclaimed, and tells {@link #onCollected} of each
   * the ledger followed. Runs on the ledger thread and, so that the table never fills with dead
   * records whatever part is enabled, before any hook adds a record (a {@code poll} of an empty
   * queue reads one field); never under a stripe lock.
   */
  public int expunge() {
    int n = 0;
    Reference<?> ref;
    while ((ref = queue.poll()) != null) {
      Record r = (Record) ref;
      Stripe s = stripe(r.hash);
      synchronized (s) {
        unlink(s, r);
        takeSample(r);
      }
      if (unfollow(r)) {
        collected.ended(r);
        n++;
      }
    }
    return n;
  }

  /**
   * Visits every record the ledger follows, one stripe at a time (the stripe's lock held only while
   * copying it out, so hooks wait at most for a copy of a stripe); a record the visitor returns
   * true for is no longer followed, and forgotten unless its close is still to be timed.
   */
  public void forEachFollowed(Visitor visitor) {
    for (Stripe s : stripes) {
      Record[] copy;
      synchronized (s) {
        copy = new Record[s.size];
        int n = 0;
        for (Record head : s.table) {
          for (Record e = head; e != null && n < copy.length; e = e.next) {
            copy[n++] = e;
          }
        }
      }
      for (Record r : copy) {
        if (r != null && r.followed() && visitor.visit(r) && unfollow(r)) {
          if (r.lingering() == null) {
            remove(r);
          }
          visitor.ended(r);
        }
      }
    }
  }

  /** Records in the table: sockets followed by the ledger, lingering, or with Netty's option. */
  public int size() {
    return size.get();
  }

  /** Sockets the port ledger follows now. */
  public int followedCount() {
    return followed.get();
  }

  public int capacity() {
    return capacity;
  }

  /** Sockets not given a record because the table was full. */
  public long untracked() {
    return untracked.sum();
  }

  private Record find(Stripe s, Object socket, int hash) {
    if (absent(hash)) {
      return null; // exact here: the slot is written under this stripe's lock
    }
    Record[] t = s.table;
    for (Record e = t[index(hash, t.length)]; e != null; e = e.next) {
      if (e.hash == hash && e.get() == socket) {
        return e;
      }
    }
    return null;
  }

  /** The record of {@code socket} in {@code s}, whose lock the caller holds, added if absent. */
  private Record findOrAdd(Stripe s, Object socket, int hash) {
    Record r = find(s, socket, hash);
    return r != null ? r : add(s, socket, hash);
  }

  private Record add(Stripe s, Object socket, int hash) {
    if (size.get() >= capacity) {
      untracked.increment();
      return null;
    }
    size.incrementAndGet();
    Record r = new Record(socket, hash, queue);
    Record[] t = s.table;
    if (s.size + 1 > t.length * 3 / 4) {
      t = grow(s);
    }
    int i = index(hash, t.length);
    r.next = t[i];
    t[i] = r;
    s.size++;
    present[slot(hash)]++;
    return r;
  }

  private static int index(int hash, int length) {
    return (hash ^ (hash >>> 16)) >>> 6 & (length - 1);
  }

  private static Record[] grow(Stripe s) {
    Record[] old = s.table;
    Record[] t = new Record[old.length * 2];
    for (Record head : old) {
      Record e = head;
      while (e != null) {
        Record next = e.next;
        int i = index(e.hash, t.length);
        e.next = t[i];
        t[i] = e;
        e = next;
      }
    }
    s.table = t;
    return t;
  }
}
