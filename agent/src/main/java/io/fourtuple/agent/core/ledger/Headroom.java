package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.kernel.KernelView;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.kernel.TcpState;

/**
 * How many more source ports one destination can take before connects (or binds) fail, from the
 * kernel table and what this JVM's hooks know. Pure arithmetic over one table read.
 *
 * <p>Two models, by how the destination's sockets are set up now (DESIGN §1):
 *
 * <ul>
 *   <li>per destination (plain connect, or bind-before-connect with IP_BIND_ADDRESS_NO_PORT): the
 *       pool is the range minus reserved ports, minus ports held by a bind for everyone (listeners
 *       in the range, this JVM's bind-before-connect sockets to other destinations), minus the
 *       ports already used toward this destination from the busiest source IP, in any state,
 *       TIME_WAIT included;
 *   <li>shared (plain bind-before-connect, explicit ports): every new socket needs a port no socket
 *       holds at all, so the headroom is the pool minus every port of the range in use.
 * </ul>
 *
 * <p>The projection adds TIME_WAIT's steady state: short connections at {@code rate}/s keep {@code
 * rate × 60} ports in TIME_WAIT (TCP_TIMEWAIT_LEN is 60 s), on the side that closes first.
 */
public final class Headroom {
  /** Linux's fixed TIME_WAIT length, {@code TCP_TIMEWAIT_LEN}. */
  public static final int TIME_WAIT_SECONDS = 60;

  final boolean shared;
  final int pool;
  final int used;
  final int heldForAll;
  final int headroom;
  final int projected;
  final String busiestSource;
  final int connectParityUsed;
  final int otherParityUsed;
  final int connectParityPool;

  private Headroom(
      boolean shared,
      int pool,
      int used,
      int heldForAll,
      int projected,
      String busiestSource,
      int connectParityUsed,
      int otherParityUsed,
      int connectParityPool) {
    this.shared = shared;
    this.pool = pool;
    this.used = used;
    this.heldForAll = heldForAll;
    this.headroom = Math.max(0, pool - used - heldForAll);
    this.projected = Math.max(0, projected);
    this.busiestSource = busiestSource;
    this.connectParityUsed = connectParityUsed;
    this.otherParityUsed = otherParityUsed;
    this.connectParityPool = connectParityPool;
  }

  /**
   * @param table the kernel's sockets to this destination; null when it shows none
   * @param ownHeldElsewhere ports of the range this JVM's bind-before-connect sockets to other
   *     destinations hold
   * @param ratePerSecond connects per second to this destination since the last read
   */
  static Headroom of(
      PortRange range,
      KernelView view,
      KernelView.DestinationTable table,
      boolean shared,
      int ownHeldElsewhere,
      double ratePerSecond) {
    int pool = range.usable();
    int timeWait = table == null ? 0 : table.state(TcpState.TIME_WAIT);
    int steady = (int) Math.min(Integer.MAX_VALUE, Math.round(ratePerSecond * TIME_WAIT_SECONDS));
    int used = 0;
    int held = 0;
    String busiest = null;
    int projected;
    if (shared) {
      used = view.portsInUseInRange() + ownHeldElsewhere;
      projected = timeWait > 0 ? pool - (used - timeWait + steady) : pool - used;
    } else {
      held = view.listenerPortsInRange() + ownHeldElsewhere;
      int sources = 1;
      if (table != null) {
        for (KernelView.SourceUse s : table.sources()) {
          if (s.inRange() > used || busiest == null) {
            used = s.inRange();
            busiest = s.host();
          }
        }
        sources = Math.max(1, table.sources().size());
      }
      // TIME_WAIT spread over the source IPs; the busiest one is what runs out first.
      projected =
          timeWait > 0
              ? pool - held - (used - timeWait / sources + steady / sources)
              : pool - held - used;
    }
    int connectParity = table == null ? 0 : table.inRangeConnectParity();
    return new Headroom(
        shared,
        pool,
        used,
        held,
        projected,
        busiest,
        connectParity,
        table == null ? 0 : table.inRange() - connectParity,
        range.usableConnectParity());
  }

  /** Free ports now. */
  public int headroom() {
    return headroom;
  }

  /** Free ports once TIME_WAIT reaches its steady state at the current connect rate. */
  public int projected() {
    return projected;
  }

  public int pool() {
    return pool;
  }

  public int used() {
    return used;
  }

  public int heldForAll() {
    return heldForAll;
  }

  public boolean shared() {
    return shared;
  }
}
