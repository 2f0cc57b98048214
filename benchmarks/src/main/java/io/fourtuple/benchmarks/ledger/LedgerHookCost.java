package io.fourtuple.benchmarks.ledger;

import java.io.File;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Locale;

/**
 * The ledger's share of one bind + connect + close on the hook path, in isolation: the agent's
 * {@code PortLedger} (loaded from the agent jar) is called as the hooks call it ({@code bound},
 * {@code connected}, {@code closed}) for fresh socket objects to one destination, samples drained
 * as the ledger thread would. No sockets, so no kernel noise: what the ledger adds to each connect.
 * Reflection adds a little of its own, so the figure is an upper bound.
 *
 * <pre>
 * java -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.ledger.LedgerHookCost --agent fourtuple-agent.jar
 * </pre>
 */
public final class LedgerHookCost {
  private LedgerHookCost() {}

  public static void main(String[] args) throws Exception {
    String agent = args.length == 2 && args[0].equals("--agent") ? args[1] : null;
    if (agent == null) {
      throw new IllegalArgumentException("--agent path/to/fourtuple-agent.jar is required");
    }
    URLClassLoader loader = new URLClassLoader(new URL[] {new File(agent).toURI().toURL()}, null);
    Class<?> ledgerType = loader.loadClass("io.fourtuple.agent.core.ledger.PortLedger");
    Class<?> outcomeType = loader.loadClass("io.fourtuple.agent.core.bind.BindOutcome");
    Class<?> sinkType = loader.loadClass("io.fourtuple.agent.core.ledger.PortLedger$FailureSink");
    Object wouldApply = outcomeType.getField("WOULD_APPLY").get(null);
    Class<?> apiType = loader.loadClass("io.fourtuple.agent.core.Api");
    Object socketApi = apiType.getField("SOCKET").get(null);
    Method bound =
        ledgerType.getMethod(
            "bound", apiType, Object.class, outcomeType, InetAddress.class, int.class);
    Method connected =
        ledgerType.getMethod("connected", Object.class, Object.class, Object.class, int.class);
    Method closed = ledgerType.getMethod("closed", Object.class);
    Method drain = ledgerType.getMethod("drainSamples", sinkType);
    Object ledger =
        ledgerType.getConstructor(int.class, int.class, int.class).newInstance(10000, 200000, 1000);
    InetSocketAddress destination = new InetSocketAddress("127.0.0.1", 40000);
    InetAddress source = InetAddress.getByName("127.0.0.1");
    int n = 2000000;
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 7; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        Object socket = new Object();
        bound.invoke(ledger, socketApi, socket, wouldApply, source, 0);
        connected.invoke(ledger, socket, destination, null, 32768 + i % 28000);
        closed.invoke(ledger, socket);
        if ((i & 16383) == 0) {
          drain.invoke(ledger, new Object[] {null});
        }
      }
      double perOp = (System.nanoTime() - start) / (double) n;
      best = Math.min(best, perOp);
      System.out.printf(
          Locale.ROOT, "  round %d: %.0f ns per bind + connect + close%n", round + 1, perOp);
    }
    System.out.printf(Locale.ROOT, "RESULT nanosPerConnect=%.0f%n", best);
  }
}
