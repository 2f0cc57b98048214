package io.fourtuple.benchmarks.ledger;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The heap workload: {@code --destinations} listeners (spread over 127.0.0.1-127.0.0.10, 1000 ports
 * from 20000 each) and {@code --connections} client connections spread evenly over them, all held
 * open. The server side stays in the listeners' accept queues (backlog above the per-destination
 * count), so the process holds one descriptor per connection. Then it waits {@code --settle-ms}
 * (ledger ticks run), collects garbage a few times and prints the heap in use.
 *
 * <p>Last line: {@code RESULT heapUsed=B connections=N destinations=D followed=F} (followed: the
 * ledger MBean's FollowedSockets, -1 without the agent).
 */
public final class LedgerHeapWorkload {
  private LedgerHeapWorkload() {}

  public static void main(String[] args) throws Exception {
    int destinations = 10000;
    int connections = 100000;
    long settleMs = 3000;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      if (args[i].equals("--destinations")) {
        destinations = Integer.parseInt(v);
      } else if (args[i].equals("--connections")) {
        connections = Integer.parseInt(v);
      } else if (args[i].equals("--settle-ms")) {
        settleMs = Long.parseLong(v);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    int perIp = (destinations + 9) / 10;
    List<ServerSocket> listeners = new ArrayList<ServerSocket>(destinations);
    List<InetSocketAddress> targets = new ArrayList<InetSocketAddress>(destinations);
    int backlog = Math.max(64, connections / destinations * 2);
    for (int d = 0; d < destinations; d++) {
      InetAddress ip = InetAddress.getByName("127.0.0." + (1 + d / perIp));
      InetSocketAddress at = new InetSocketAddress(ip, 20000 + d % perIp);
      ServerSocket s = new ServerSocket();
      s.bind(at, backlog);
      listeners.add(s);
      targets.add(at);
    }
    List<SocketChannel> held = new ArrayList<SocketChannel>(connections);
    long start = System.nanoTime();
    for (int i = 0; i < connections; i++) {
      held.add(SocketChannel.open(targets.get(i % destinations)));
    }
    System.out.printf(
        "%d connections to %d destinations in %.1f s%n",
        connections, destinations, (System.nanoTime() - start) / 1e9);
    Thread.sleep(settleMs);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    // The minimum over 2.5 s: at least one collection falls between two ledger ticks (interval 2
    // s), so what is measured is what the agent keeps, not a tick's garbage in flight.
    for (int i = 0; i < 10; i++) {
      System.gc();
      Thread.sleep(250);
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    long followed = -1;
    try {
      javax.management.ObjectName name =
          new javax.management.ObjectName("io.fourtuple:type=PortLedger");
      javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      if (server.isRegistered(name)) {
        followed = ((Integer) server.getAttribute(name, "FollowedSockets")).longValue();
      }
    } catch (Exception e) {
      followed = -2;
    }
    System.out.printf(
        "RESULT heapUsed=%d connections=%d destinations=%d followed=%d%n",
        used, held.size(), listeners.size(), followed);
    System.out.flush();
    System.exit(0);
  }
}
