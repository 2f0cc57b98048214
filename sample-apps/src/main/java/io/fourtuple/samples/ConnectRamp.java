package io.fourtuple.samples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Short connections to one destination at a rate that climbs, {@code rate + slope × t} per second,
 * until connects fail for want of a source port: the workload that {@code ledger.warn.eta}'s
 * forecast must see coming. With {@code --slope 0} it is a steady load (run for {@code --seconds}).
 * The client closes first, so each connection keeps its port in TIME_WAIT for 60 s.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.ConnectRamp \
 *     [--rate 1] [--slope 0.05] [--seconds 400] [--port 7402] [--after-failure-ms 2000]
 * </pre>
 *
 * The listener is in this JVM on 127.0.0.1:port. The pacing never catches up more than a second (a
 * stalled machine lowers the rate instead of bursting). It prints {@code FIRST_FAILURE
 * epochMillis=... elapsedMillis=... error=...} at the first failed connect, keeps going for {@code
 * --after-failure-ms}, and ends with {@code RESULT connects=N failed=F seconds=S}.
 */
public final class ConnectRamp {
  private ConnectRamp() {}

  public static void main(String[] args) throws Exception {
    double rate = 1;
    double slope = 0.05;
    double seconds = 400;
    int port = 7402;
    long afterFailureMs = 2000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      if (args[i].equals("--rate")) {
        rate = Double.parseDouble(v);
      } else if (args[i].equals("--slope")) {
        slope = Double.parseDouble(v);
      } else if (args[i].equals("--seconds")) {
        seconds = Double.parseDouble(v);
      } else if (args[i].equals("--port")) {
        port = Integer.parseInt(v);
      } else if (args[i].equals("--after-failure-ms")) {
        afterFailureMs = Long.parseLong(v);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    final ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(loopback, port), 4096);
    Thread acceptor =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                // One thread: the client closes right after connecting, so each read ends at once
                // and the server closes second (TIME_WAIT stays on the client side).
                try {
                  while (true) {
                    Socket s = listener.accept();
                    try {
                      while (s.getInputStream().read() >= 0) {
                        // discard
                      }
                    } catch (IOException reset) {
                      // peer reset
                    }
                    s.close();
                  }
                } catch (IOException closed) {
                  // listener closed at the end
                }
              }
            },
            "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    InetSocketAddress target = new InetSocketAddress(loopback, port);
    long start = System.nanoTime();
    long next = start;
    long connects = 0;
    long failed = 0;
    long failedAt = 0;
    long end = start + (long) (seconds * 1e9);
    while (true) {
      long now = System.nanoTime();
      if (now >= end || (failedAt != 0 && now - failedAt >= afterFailureMs * 1_000_000L)) {
        break;
      }
      if (next > now) {
        Thread.sleep((next - now) / 1_000_000L, (int) ((next - now) % 1_000_000L));
        continue;
      }
      double t = (now - start) / 1e9;
      next = Math.max(next, now - 1_000_000_000L) + (long) (1e9 / (rate + slope * t));
      Socket s = new Socket();
      try {
        s.connect(target, 5000);
        connects++;
      } catch (IOException e) {
        failed++;
        if (failedAt == 0) {
          failedAt = System.nanoTime();
          System.out.println(
              "FIRST_FAILURE epochMillis="
                  + System.currentTimeMillis()
                  + " elapsedMillis="
                  + (failedAt - start) / 1_000_000L
                  + " error="
                  + String.valueOf(e.getMessage()).replace(' ', '_'));
          System.out.flush();
        }
      } finally {
        s.close();
      }
    }
    listener.close();
    System.out.println(
        "RESULT connects="
            + connects
            + " failed="
            + failed
            + " seconds="
            + (System.nanoTime() - start) / 1_000_000_000L);
  }
}
