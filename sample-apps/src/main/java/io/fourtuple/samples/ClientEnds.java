package io.fourtuple.samples;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Counts, in the kernel's own socket table ({@code /proc/self/net/tcp} and {@code tcp6}, this
 * process's network namespace), the client ends of connections to a set of server ports: every
 * socket whose remote port is one of them, in any state. A client end still in the table holds its
 * local port, closed or not: after {@code close()} it stays there until the peer's last ACK
 * (LAST_ACK) or for 60 s (TIME_WAIT). A sample that measures capacity waits for zero before it
 * counts again, so its count is what the kernel allows, not the outcome of a race with the previous
 * round's closes.
 */
final class ClientEnds {
  private static final String[] TABLES = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};

  /** TCP states as the table writes them (include/net/tcp_states.h). */
  static final String ESTABLISHED = "01";

  static final String FIN_WAIT1 = "04";
  static final String FIN_WAIT2 = "05";
  static final String CLOSING = "0B";

  private final int[] serverPorts;

  ClientEnds(int... serverPorts) {
    this.serverPorts = serverPorts.clone();
  }

  /**
   * Waits until no client end in one of {@code states} (any state if none is given) is left,
   * polling the table, for at most {@code timeoutMillis}; returns how many are left (0 unless the
   * kernel kept one that long). -1 if the table cannot be read (not Linux): nothing to wait for
   * then.
   */
  int awaitNone(long timeoutMillis, String... states) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    int left;
    while ((left = count(states)) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return left;
  }

  /**
   * The client ends in the table now, in one of {@code states} (any state if none is given); -1 if
   * the table cannot be read.
   */
  int count(String... states) {
    int n = 0;
    for (String table : TABLES) {
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(new FileInputStream(table), StandardCharsets.US_ASCII))) {
        in.readLine(); // header
        String line;
        while ((line = in.readLine()) != null) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 3
              && isServerPort(port(f[2]))
              && !isServerPort(port(f[1]))
              && inStates(f[3], states)) {
            n++;
          }
        }
      } catch (IOException e) {
        if (table.endsWith("tcp")) {
          return -1;
        }
        // no IPv6 table: IPv6 is off
      }
    }
    return n;
  }

  private static boolean inStates(String state, String[] states) {
    if (states.length == 0) {
      return true;
    }
    for (String s : states) {
      if (s.equalsIgnoreCase(state)) {
        return true;
      }
    }
    return false;
  }

  private boolean isServerPort(int port) {
    for (int p : serverPorts) {
      if (p == port) {
        return true;
      }
    }
    return false;
  }

  /** The port of {@code 0100007F:EA60} (hex, after the last colon). */
  private static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
  }
}
