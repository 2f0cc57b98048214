package io.fourtuple.clients;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one third-party client unchanged: opens {@code --per-destination} connections to each of
 * {@code --destinations} through the library's own local-address setting, holds them all, counts
 * the ESTABLISHED ones per destination in the kernel's table, then completes every request and
 * checks its result. Prints one line:
 *
 * <pre>
 * RESULT client=... library=... version=... label=... destinations=D attempted=A held=H
 *     heldPerDestination=h1,h2,... failures=F requestsOk=K ...facts
 * FIRST_ERROR the first failure's exception chain (when there was one)
 * </pre>
 *
 * <pre>
 * java -cp fourtuple-third-party-clients.jar:lib/* io.fourtuple.clients.ClientRun --client NAME
 *     --destinations 127.0.0.1:18081,127.0.0.1:18082 --per-destination 10 --source 127.0.0.1
 *     [--expect-file big.bin] [--label without]
 * </pre>
 *
 * Clients: {@code apache-httpclient}, {@code pgjdbc}, {@code reactor-netty}, {@code
 * grpc-netty-shaded}.
 */
public final class ClientRun {
  private ClientRun() {}

  public static void main(String[] args) throws Exception {
    String client = null;
    String destinations = null;
    int perDestination = 10;
    String source = "127.0.0.1";
    String expectFile = null;
    String label = "";
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--client" -> client = args[++i];
        case "--destinations" -> destinations = args[++i];
        case "--per-destination" -> perDestination = Integer.parseInt(args[++i]);
        case "--source" -> source = args[++i];
        case "--expect-file" -> expectFile = args[++i];
        case "--label" -> label = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " " + value);
      }
    }
    if (client == null || destinations == null) {
      System.err.println(
          "usage: ClientRun --client apache-httpclient|pgjdbc|reactor-netty|grpc-netty-shaded"
              + " --destinations ip:port,... [--per-destination N] [--source ip]"
              + " [--expect-file path] [--label text]");
      System.exit(2);
    }
    List<InetSocketAddress> targets = new ArrayList<>();
    for (String d : destinations.split(",")) {
      int colon = d.lastIndexOf(':');
      targets.add(
          new InetSocketAddress(d.substring(0, colon), Integer.parseInt(d.substring(colon + 1))));
    }
    InetAddress from = InetAddress.getByName(source);
    BodyCheck expected = expectFile == null ? null : BodyCheck.of(Paths.get(expectFile));
    try (HeldClient lib = create(client, expected)) {
      run(client, label, lib, targets, from, perDestination);
    }
    // Library threads (event loops, pools) must not keep the JVM alive after the line is printed.
    System.exit(0);
  }

  private static HeldClient create(String client, BodyCheck expected) {
    return switch (client) {
      case "apache-httpclient" -> new ApacheHttpClient(expected);
      case "pgjdbc" -> new PgJdbc();
      case "reactor-netty" -> new ReactorNettyHttp(expected);
      case "grpc-netty-shaded" -> new GrpcNettyShaded();
      default -> throw new IllegalArgumentException("unknown client " + client);
    };
  }

  private static void run(
      String client,
      String label,
      HeldClient lib,
      List<InetSocketAddress> targets,
      InetAddress source,
      int perDestination)
      throws Exception {
    List<HeldClient.Held> held = new ArrayList<>();
    int failures = 0;
    String firstError = null;
    for (InetSocketAddress target : targets) {
      for (int i = 0; i < perDestination; i++) {
        try {
          held.add(lib.open(target, source));
        } catch (Exception e) {
          failures++;
          if (firstError == null) {
            firstError = chain(e);
          }
        }
      }
    }
    StringBuilder perDest = new StringBuilder();
    int total = 0;
    for (InetSocketAddress target : targets) {
      int n = KernelSockets.established(source, target);
      total += n;
      perDest.append(perDest.length() == 0 ? "" : ",").append(n);
    }
    int ok = 0;
    String firstWrong = null;
    for (HeldClient.Held h : held) {
      String wrong;
      try {
        wrong = h.finish();
      } catch (Exception e) {
        wrong = chain(e);
      }
      if (wrong == null) {
        ok++;
      } else if (firstWrong == null) {
        firstWrong = wrong;
      }
    }
    String facts = lib.facts();
    System.out.println(
        "RESULT client="
            + client
            + " library="
            + lib.library()
            + " version="
            + lib.version()
            + " setting="
            + lib.setting()
            + (label.isEmpty() ? "" : " label=" + label)
            + " destinations="
            + targets.size()
            + " attempted="
            + targets.size() * perDestination
            + " opened="
            + held.size()
            + " held="
            + total
            + " heldPerDestination="
            + perDest
            + " failures="
            + failures
            + " requestsOk="
            + ok
            + " requestsWrong="
            + (held.size() - ok)
            + (facts.isEmpty() ? "" : " " + facts));
    if (firstError != null) {
      System.out.println("FIRST_ERROR " + firstError);
    }
    if (firstWrong != null) {
      System.out.println("FIRST_WRONG " + firstWrong);
    }
  }

  /** The exception and its causes on one line: libraries wrap the kernel's errno message. */
  static String chain(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null && out.length() < 600; t = t.getCause()) {
      out.append(out.length() == 0 ? "" : " <- ").append(t.getClass().getName());
      if (t.getMessage() != null) {
        out.append(": ").append(t.getMessage().replace('\n', ' '));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return out.toString();
  }
}
