package io.fourtuple.agent.core.kernel;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One read of the kernel's TCP table, summed up the way the port ledger needs it: per destination
 * and state, this process's sockets against other processes' and against orphans (TIME_WAIT has no
 * owner), source ports in use per source IP, which ports of the ephemeral range listeners hold, and
 * which ports of the range any socket holds at all.
 *
 * <p>Kernel facts used (DESIGN §1): source ports need to be unique per (source IP, destination) for
 * {@code connect()}, so a destination's use is counted per source IP; a port held by a listener
 * (any {@code bind()}) leaves the pool {@code connect()} picks from for every destination; {@code
 * bind(ip, 0)} without {@code IP_BIND_ADDRESS_NO_PORT} needs a port no socket holds at all.
 *
 * <p>Bound sockets that neither listen nor connect do not appear in {@code /proc/net/tcp}, so their
 * ports are invisible here (the ledger adds the ones this JVM holds from its own hooks).
 */
public final class KernelView {
  /** What the table shows for one destination (remote address and port). */
  public static final class DestinationTable {
    private final Endpoint destination;
    final int[] states = new int[TcpState.COUNT];
    int own;
    int others;
    int orphans;
    int inRange;
    int inRangeConnectParity;
    final List<SourceUse> sources = new ArrayList<SourceUse>(1);
    IntSet ownPorts;

    DestinationTable(Endpoint destination) {
      this.destination = destination;
    }

    public Endpoint destination() {
      return destination;
    }

    /** Sockets to this destination in {@code state} (a {@link TcpState} number), all processes. */
    public int state(int state) {
      return states[state];
    }

    /** All sockets to this destination, any state. */
    public int total() {
      int n = 0;
      for (int s : states) {
        n += s;
      }
      return n;
    }

    /** Sockets this process holds (its descriptors). */
    public int own() {
      return own;
    }

    /** Sockets other processes hold. */
    public int others() {
      return others;
    }

    /** Sockets no process holds: TIME_WAIT, orphaned FIN_WAIT, embryonic. */
    public int orphans() {
      return orphans;
    }

    /** Sockets whose source port lies in the ephemeral range. */
    public int inRange() {
      return inRange;
    }

    /** Of {@link #inRange()}, those with the parity {@code connect()} tries first. */
    public int inRangeConnectParity() {
      return inRangeConnectParity;
    }

    /** Per source IP, the source ports in the range used toward this destination. */
    public List<SourceUse> sources() {
      return Collections.unmodifiableList(sources);
    }

    /** Whether this process holds a socket to this destination from {@code localPort}. */
    public boolean ownsPort(int localPort) {
      return ownPorts != null && ownPorts.contains(localPort);
    }

    SourceUse source(byte[] address, int length) {
      for (SourceUse s : sources) {
        if (s.matches(address, length)) {
          return s;
        }
      }
      SourceUse s = new SourceUse(Endpoint.of(java.util.Arrays.copyOf(address, length), 0));
      sources.add(s);
      return s;
    }
  }

  /** Source ports used toward one destination from one source IP. */
  public static final class SourceUse {
    private final Endpoint source;
    final IntSet ports = new IntSet();
    int inRange;
    int total;

    SourceUse(Endpoint source) {
      this.source = source;
    }

    boolean matches(byte[] address, int length) {
      if (source.length != length) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (source.address[i] != address[i]) {
          return false;
        }
      }
      return true;
    }

    /** The source IP (port 0). */
    public Endpoint source() {
      return source;
    }

    public String host() {
      return source.host();
    }

    /** Sockets from this IP to the destination with a source port in the ephemeral range. */
    public int inRange() {
      return inRange;
    }

    public int total() {
      return total;
    }
  }

  private final boolean available;
  private final int rows;
  private final long readNanos;
  private final int[] states;
  private final BitSet portsInUse;
  private final BitSet listenerPorts;
  private final int inbound;
  private final int ownSockets;
  private final boolean ownKnown;
  private final Map<Endpoint, DestinationTable> destinations;

  private KernelView(Aggregator a, boolean available, int rows, long readNanos) {
    this.available = available;
    this.rows = rows;
    this.readNanos = readNanos;
    this.states = a.states;
    this.portsInUse = a.portsInUse;
    this.listenerPorts = a.listenerPorts;
    this.inbound = a.inbound;
    this.ownSockets = a.ownSockets;
    this.ownKnown = a.own != null;
    this.destinations = a.destinations;
  }

  /**
   * Reads the table of the running namespace.
   *
   * @param only destinations to sum up, or null for every destination in the table
   * @param own this process's socket inodes, or null when unknown
   */
  public static KernelView read(
      TcpTable reader, PortRange range, OwnSockets own, Set<Endpoint> only) {
    long start = System.nanoTime();
    Aggregator a = new Aggregator(range, own, only);
    boolean ok = reader.readProc("/proc/self", a);
    return new KernelView(a, ok, reader.rows(), System.nanoTime() - start);
  }

  /** Sums up rows given by a caller (tests, captured tables): see {@link #builder}. */
  public static Builder builder(PortRange range, OwnSockets own, Set<Endpoint> only) {
    return new Builder(new Aggregator(range, own, only));
  }

  /** Feeds captured table text in; for tests and for reading another namespace's table. */
  public static final class Builder {
    private final Aggregator aggregator;
    private final TcpTable reader = new TcpTable();
    private int rows;

    Builder(Aggregator aggregator) {
      this.aggregator = aggregator;
    }

    public Builder table(String text, boolean ipv6) {
      try {
        reader.parse(
            new java.io.ByteArrayInputStream(
                text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
            ipv6,
            aggregator);
      } catch (java.io.IOException impossible) {
        throw new IllegalStateException(impossible);
      }
      rows = reader.rows();
      return this;
    }

    public KernelView build() {
      return new KernelView(aggregator, true, rows, 0);
    }
  }

  static final class Aggregator implements TcpTable.Visitor {
    final PortRange range;
    final OwnSockets own;
    final Set<Endpoint> only;
    final int[] states = new int[TcpState.COUNT];
    final BitSet portsInUse = new BitSet(65536);
    final BitSet listenerPorts = new BitSet(65536);
    final BitSet listening = new BitSet(65536);
    int inbound;
    final Map<Endpoint, DestinationTable> destinations = new HashMap<Endpoint, DestinationTable>();
    final Endpoint.Probe probe = new Endpoint.Probe();
    int ownSockets;
    int duplicates;

    Aggregator(PortRange range, OwnSockets own, Set<Endpoint> only) {
      this.range = range;
      this.own = own;
      this.only = only;
    }

    @Override
    public void row(TcpTable.Row r) {
      int state = r.state < TcpState.COUNT ? r.state : 0;
      states[state]++;
      boolean mine = own != null && own.contains(r.inode);
      if (mine) {
        ownSockets++;
      }
      boolean inRange = range != null && range.contains(r.localPort);
      if (inRange) {
        portsInUse.set(r.localPort);
      }
      if (state == TcpState.LISTEN) {
        listening.set(r.localPort);
        if (inRange) {
          listenerPorts.set(r.localPort);
        }
        return;
      }
      if (listening.get(r.localPort)) {
        // Accepted by a listener of this namespace (the kernel lists listeners first): an inbound
        // connection, whose remote end is a client, not a destination.
        inbound++;
        return;
      }
      Endpoint key = probe.set(r.remote, r.remoteLength, r.remotePort);
      DestinationTable d = destinations.get(key);
      if (d == null) {
        if (only != null && !only.contains(key)) {
          return;
        }
        Endpoint kept = key.copy();
        d = new DestinationTable(kept);
        destinations.put(kept, d);
      }
      SourceUse s = d.source(r.local, r.localLength);
      if (!s.ports.add(r.localPort)) {
        // The table is read in page-sized chunks while sockets come and go, so a row can be listed
        // twice; a 4-tuple is unique, so the second one is dropped.
        duplicates++;
        return;
      }
      d.states[state]++;
      if (r.inode == 0) {
        d.orphans++;
      } else if (mine) {
        d.own++;
        if (d.ownPorts == null) {
          d.ownPorts = new IntSet();
        }
        d.ownPorts.add(r.localPort);
      } else {
        d.others++;
      }
      s.total++;
      if (inRange) {
        d.inRange++;
        s.inRange++;
        if (range.isConnectParity(r.localPort)) {
          d.inRangeConnectParity++;
        }
      }
    }
  }

  /** False when neither table could be read (not Linux, /proc not mounted). */
  public boolean available() {
    return available;
  }

  public int rows() {
    return rows;
  }

  public long readNanos() {
    return readNanos;
  }

  /** Sockets in {@code state}, all destinations, listeners included. */
  public int state(int state) {
    return states[state];
  }

  /** Ports of the ephemeral range held by listening sockets (any process, any address). */
  public int listenerPortsInRange() {
    return listenerPorts.cardinality();
  }

  /**
   * Connections accepted by this namespace's listeners (their local port is a listening port); they
   * are not summed as destinations.
   */
  public int inbound() {
    return inbound;
  }

  /** Distinct ports of the ephemeral range that any socket in the table holds, in any state. */
  public int portsInUseInRange() {
    return portsInUse.cardinality();
  }

  /** Distinct ports from {@code low} to {@code high} (within the range) that any socket holds. */
  public int portsInUse(int low, int high) {
    return portsInUse.get(low, high + 1).cardinality();
  }

  /** Sockets in the table that this process holds; -1 when its descriptors could not be read. */
  public int ownSockets() {
    return ownKnown ? ownSockets : -1;
  }

  /** Whether rows could be told apart as this process's or others'. */
  public boolean ownKnown() {
    return ownKnown;
  }

  /** The table for {@code destination}, or null when the kernel shows no socket to it. */
  public DestinationTable destination(Endpoint destination) {
    return destinations.get(destination);
  }

  public Collection<DestinationTable> destinations() {
    return Collections.unmodifiableCollection(destinations.values());
  }
}
