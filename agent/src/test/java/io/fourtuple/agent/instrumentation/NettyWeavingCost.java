package io.fourtuple.agent.instrumentation;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Measures, never asserts, what the Netty hooks cost on the class-loading path: {@link
 * SuffixTable#match} over a list of class names (the miss path every class pays), and weaving the
 * classes of the given jars that the table matches (Netty's, or a relocated copy such as
 * grpc-netty-shaded's). Not a test; run by hand (see docs/netty.md):
 *
 * <pre>
 * java -cp agent/target/classes:agent/target/test-classes:byte-buddy.jar \
 *     io.fourtuple.agent.instrumentation.NettyWeavingCost names.txt netty-jars...
 * </pre>
 */
public final class NettyWeavingCost {
  private NettyWeavingCost() {}

  public static void main(String[] args) throws Exception {
    String[] names = Files.readAllLines(Paths.get(args[0])).toArray(new String[0]);
    SuffixTable table = new SuffixTable(NettyHooks.all());
    int hits = 0;
    for (int pass = 0; pass < 20; pass++) {
      for (String name : names) {
        hits += table.match(name) == null ? 0 : 1;
      }
    }
    long best = Long.MAX_VALUE;
    for (int pass = 0; pass < 20; pass++) {
      long start = System.nanoTime();
      for (String name : names) {
        hits += table.match(name) == null ? 0 : 1;
      }
      best = Math.min(best, System.nanoTime() - start);
    }
    System.out.printf(
        "suffix check: %d names, best of 20 passes %.1f us = %.1f ns per class (%d matches per"
            + " pass)%n",
        names.length, best / 1e3, (double) best / names.length, hits / 40);

    // Every class of the jars the suffix table matches: Netty's own, or a relocated copy (gRPC's).
    Map<String, byte[]> classes = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      try (ZipFile jar = new ZipFile(args[i])) {
        for (ZipEntry entry : java.util.Collections.list(jar.entries())) {
          String name = entry.getName();
          if (name.endsWith(".class")) {
            name = name.substring(0, name.length() - ".class".length());
            if (table.match(name) != null) {
              classes.put(name, jar.getInputStream(entry).readAllBytes());
            }
          }
        }
      }
    }
    for (int round = 0; round < 3; round++) {
      SocketWeaver weaver = new SocketWeaver(List.of(), NettyHooks.all());
      long start = System.nanoTime();
      int woven = 0;
      for (Map.Entry<String, byte[]> c : classes.entrySet()) {
        // As if defined by the boot loader: the dispatcher is not injected there in this harness,
        // and the per-loader visibility check would (rightly) refuse to weave.
        if (weaver.transform(null, c.getKey(), null, null, c.getValue()) != null) {
          woven++;
        }
      }
      System.out.printf(
          "weaving, round %d%s: %d of %d matching classes in %.2f ms; problems %s%n",
          round,
          round == 0 ? " (ASM cold)" : "",
          woven,
          classes.size(),
          (System.nanoTime() - start) / 1e6,
          weaver.problems());
    }
  }
}
