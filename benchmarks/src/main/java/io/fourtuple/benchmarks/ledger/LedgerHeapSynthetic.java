package io.fourtuple.benchmarks.ledger;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The ledger's heap at a scale one process cannot reach here (the descriptor limit): the agent's
 * own {@code PortLedger}, loaded from the agent jar, is fed exactly as the hooks feed it — {@code
 * connected} for {@code --connections} socket objects over {@code --destinations} destinations, the
 * application keeping every socket object reachable — then the ledger thread's work runs (samples
 * drained, reconcile, the report the MBean keeps). Heap after full collections is measured before
 * (sockets and addresses allocated, no ledger) and after; the difference is the ledger's.
 *
 * <pre>
 * java -XX:+UseSerialGC -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.ledger.LedgerHeapSynthetic \
 *     --agent fourtuple-agent.jar [--connections 100000] [--destinations 10000]
 * </pre>
 */
public final class LedgerHeapSynthetic {
  private LedgerHeapSynthetic() {}

  public static void main(String[] args) throws Exception {
    String agent = null;
    int connections = 100000;
    int destinations = 10000;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      if (args[i].equals("--agent")) {
        agent = v;
      } else if (args[i].equals("--connections")) {
        connections = Integer.parseInt(v);
      } else if (args[i].equals("--destinations")) {
        destinations = Integer.parseInt(v);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    URLClassLoader loader = new URLClassLoader(new URL[] {new File(agent).toURI().toURL()}, null);
    Class<?> ledgerType = loader.loadClass("io.fourtuple.agent.core.ledger.PortLedger");
    Class<?> reportType = loader.loadClass("io.fourtuple.agent.core.ledger.LedgerReport");
    Class<?> contextType = loader.loadClass("io.fourtuple.agent.core.ledger.LedgerReport$Context");
    Class<?> rangeType = loader.loadClass("io.fourtuple.agent.core.kernel.PortRange");
    Class<?> viewType = loader.loadClass("io.fourtuple.agent.core.kernel.KernelView");
    Class<?> sinkType = loader.loadClass("io.fourtuple.agent.core.ledger.PortLedger$FailureSink");
    Method connected =
        ledgerType.getMethod("connected", Object.class, Object.class, Object.class, int.class);
    Method drain = ledgerType.getMethod("drainSamples", sinkType);
    Method epoch = ledgerType.getMethod("advanceEpoch");
    Method reconcile = ledgerType.getMethod("reconcile", viewType, int.class, rangeType);
    Method build =
        reportType.getMethod(
            "build",
            ledgerType,
            viewType,
            rangeType,
            contextType,
            long.class,
            long.class,
            List.class,
            int.class);
    Object range =
        rangeType.getMethod("parse", String.class, String.class).invoke(null, "1024 65535", "");
    Constructor<?> context = contextType.getConstructor(boolean.class, boolean.class, String.class);

    List<InetSocketAddress> targets = new ArrayList<InetSocketAddress>(destinations);
    for (int d = 0; d < destinations; d++) {
      targets.add(
          new InetSocketAddress(
              InetAddress.getByAddress(new byte[] {10, 1, (byte) (d >> 8), (byte) d}), 443));
    }
    List<Object> sockets = new ArrayList<Object>(connections);
    for (int i = 0; i < connections; i++) {
      sockets.add(new Object());
    }
    long before = usedAfterGc();

    Object ledger =
        ledgerType.getConstructor(int.class, int.class, int.class).newInstance(10000, 200000, 1000);
    for (int i = 0; i < connections; i++) {
      connected.invoke(
          ledger, sockets.get(i), targets.get(i % destinations), null, 1024 + i / destinations);
    }
    drain.invoke(ledger, new Object[] {null});
    // A kernel view of the followed destinations (empty table: the report computes every row's
    // headroom, cause and action text, as it does with a real table).
    Class<?> ownType = loader.loadClass("io.fourtuple.agent.core.kernel.OwnSockets");
    Object builder =
        viewType
            .getMethod("builder", rangeType, ownType, java.util.Set.class)
            .invoke(null, range, null, ledgerType.getMethod("endpoints").invoke(ledger));
    Object view = builder.getClass().getMethod("build").invoke(builder);
    reconcile.invoke(ledger, view, epoch.invoke(ledger), range);
    Object report =
        build.invoke(
            null,
            ledger,
            view,
            range,
            context.newInstance(false, true, null),
            System.currentTimeMillis(),
            System.nanoTime(),
            Collections.emptyList(),
            100);
    long after = usedAfterGc();
    System.out.printf(
        Locale.ROOT,
        "heap used after full collections: %d bytes before the ledger, %d after%n",
        before,
        after);
    System.out.printf(
        Locale.ROOT,
        "ledger heap with %d live connections over %d destinations, last report kept: %.1f MB"
            + " (%.0f bytes per connection)%n",
        connections,
        destinations,
        (after - before) / 1048576.0,
        (after - before) / (double) connections);
    System.out.printf(
        Locale.ROOT, "RESULT ledgerHeapBytes=%d goalBytes=%d%n", after - before, 16L << 20);
    Thread.sleep(Long.getLong("pauseMs", 0L));
    if (sockets.size() + targets.size() < 0 || report == null || ledger == null) {
      throw new IllegalStateException("keeps the sockets and the report reachable until here");
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
