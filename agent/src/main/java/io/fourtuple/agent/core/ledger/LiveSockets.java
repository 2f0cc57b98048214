package io.fourtuple.agent.core.ledger;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client sockets the ledger follows from bind or connect until close, keyed by identity and
 * held weakly: the ledger must never keep a socket reachable, or a socket the application forgot
 * would never be closed by the JDK's cleaner. A socket that is collected without a close shows up
 * on the reference queue and is counted as closed by the collector.
 *
 * <p>Bounded: past {@code capacity} entries new sockets are not followed (counted in {@link
 * #untracked()}); the kernel table still sees them. Each entry is one weak reference with a few
 * fields (about 50 bytes) chained in striped hash tables; no per-lookup allocation. A stripe's
 * monitor is held for a few field writes, never across a call out.
 */
final class LiveSockets {
  /** One followed socket. Fields other than the chain are written under the stripe lock. */
  static final class Entry extends WeakReference<Object> {
    final int hash;
    Entry next;

    /**
     * Before connect, the bind's source address ({@code InetAddress}) or null; after, the {@link
     * Destination}. One field for both keeps an entry at 48 bytes (100k sockets: 4.8 MB).
     */
    private Object link;

    char localPort;
    byte kind;

    /** The ledger epoch at connect: the kernel table read in a later epoch must show the socket. */
    int epoch;

    Entry(Object socket, int hash, ReferenceQueue<Object> queue, SetupKind kind) {
      super(socket, queue);
      this.hash = hash;
      this.kind = (byte) kind.ordinal();
    }

    SetupKind kind() {
      return SetupKind.values()[kind];
    }

    /** The destination once connected, else null. */
    Destination destination() {
      Object l = link;
      return l instanceof Destination ? (Destination) l : null;
    }

    /** The source address the socket was bound to (before connect), else null. */
    InetAddress source() {
      Object l = link;
      return l instanceof InetAddress ? (InetAddress) l : null;
    }

    void source(InetAddress address) {
      if (!(link instanceof Destination)) {
        link = address;
      }
    }

    void connectedTo(Destination d, int port, int atEpoch) {
      localPort = (char) port;
      epoch = atEpoch;
      link = d;
    }
  }

  /** Visits entries on the ledger thread. */
  interface Visitor {
    /** Returns true to remove the entry. */
    boolean visit(Entry entry);

    /** The entry was removed by this visit (not by a concurrent close): count it. */
    void removed(Entry entry);
  }

  private static final int STRIPES = 64;

  private final Stripe[] stripes = new Stripe[STRIPES];
  private final ReferenceQueue<Object> queue = new ReferenceQueue<Object>();
  private final AtomicInteger size = new AtomicInteger();
  private final int capacity;
  private volatile long untracked;

  LiveSockets(int capacity) {
    this.capacity = capacity;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static final class Stripe {
    Entry[] table = new Entry[16];
    int size;
  }

  private Stripe stripe(int hash) {
    return stripes[(hash ^ (hash >>> 16)) & (STRIPES - 1)];
  }

  /** The entry for {@code socket}, created with {@code kind} if absent; null when full. */
  Entry getOrAdd(Object socket, SetupKind kind, boolean updateKind) {
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Entry[] t = s.table;
      for (Entry e = t[index(hash, t.length)]; e != null; e = e.next) {
        if (e.hash == hash && e.get() == socket) {
          if (updateKind && e.destination() == null) {
            e.kind = (byte) kind.ordinal();
          }
          return e;
        }
      }
      if (size.get() >= capacity) {
        untracked++;
        return null;
      }
      size.incrementAndGet();
      Entry e = new Entry(socket, hash, queue, kind);
      if (s.size + 1 > t.length * 3 / 4) {
        t = grow(s);
      }
      int i = index(hash, t.length);
      e.next = t[i];
      t[i] = e;
      s.size++;
      return e;
    }
  }

  /** Whether {@code socket} is followed (a client bind or connect was seen). */
  boolean contains(Object socket) {
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Entry[] t = s.table;
      for (Entry e = t[index(hash, t.length)]; e != null; e = e.next) {
        if (e.hash == hash && e.get() == socket) {
          return true;
        }
      }
      return false;
    }
  }

  /** Removes and returns the entry for {@code socket}, or null if not followed. */
  Entry remove(Object socket) {
    int hash = System.identityHashCode(socket);
    Stripe s = stripe(hash);
    synchronized (s) {
      Entry[] t = s.table;
      int i = index(hash, t.length);
      Entry previous = null;
      for (Entry e = t[i]; e != null; previous = e, e = e.next) {
        if (e.hash == hash && e.get() == socket) {
          unlink(s, i, previous, e);
          return e;
        }
      }
      return null;
    }
  }

  /** Removes {@code entry} if still present (collected or reconciled); returns whether it was. */
  private boolean removeEntry(Entry entry) {
    Stripe s = stripe(entry.hash);
    synchronized (s) {
      Entry[] t = s.table;
      int i = index(entry.hash, t.length);
      Entry previous = null;
      for (Entry e = t[i]; e != null; previous = e, e = e.next) {
        if (e == entry) {
          unlink(s, i, previous, e);
          return true;
        }
      }
      return false;
    }
  }

  private void unlink(Stripe s, int i, Entry previous, Entry e) {
    if (previous == null) {
      s.table[i] = e.next;
    } else {
      previous.next = e.next;
    }
    e.next = null;
    s.size--;
    size.decrementAndGet();
  }

  /** Removes the entries of sockets the collector reclaimed; hands each to {@code collected}. */
  int expunge(Visitor collected) {
    int n = 0;
    Reference<?> r;
    while ((r = queue.poll()) != null) {
      Entry e = (Entry) r;
      if (removeEntry(e)) {
        collected.removed(e);
        n++;
      }
    }
    return n;
  }

  /**
   * Visits every entry, one stripe at a time (the stripe's lock held only while copying it out, so
   * hooks wait at most for a copy of a stripe); entries the visitor returns true for are removed.
   */
  void forEach(Visitor visitor) {
    for (Stripe s : stripes) {
      Entry[] copy;
      synchronized (s) {
        copy = new Entry[s.size];
        int n = 0;
        for (Entry head : s.table) {
          for (Entry e = head; e != null && n < copy.length; e = e.next) {
            copy[n++] = e;
          }
        }
      }
      for (Entry e : copy) {
        if (e != null && visitor.visit(e) && removeEntry(e)) {
          visitor.removed(e);
        }
      }
    }
  }

  int size() {
    return size.get();
  }

  int capacity() {
    return capacity;
  }

  /** Sockets not followed because the table was full. */
  long untracked() {
    return untracked;
  }

  private static int index(int hash, int length) {
    return (hash ^ (hash >>> 16)) >>> 6 & (length - 1);
  }

  private static Entry[] grow(Stripe s) {
    Entry[] old = s.table;
    Entry[] t = new Entry[old.length * 2];
    for (Entry head : old) {
      Entry e = head;
      while (e != null) {
        Entry next = e.next;
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
