package io.fourtuple.samples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;

/**
 * A deliberate, harmless {@code SO_LINGER 0}: a blocking server whose stop wakes its acceptor the
 * way Tomcat does ({@code AbstractEndpoint.unlockAccept}, at every start and stop). The acceptor
 * thread is blocked in {@code accept()}, so stopping connects to the server's own port with {@code
 * SO_LINGER 0}, sends nothing, waits until the acceptor has taken the connection, and closes it:
 * close sends RST instead of FIN and leaves no TIME_WAIT, and with nothing unsent nothing is lost.
 * Each cycle starts a server and stops it, so the one call site sets SO_LINGER 0 once per cycle.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.AcceptorUnlock [--cycles 3]
 * </pre>
 *
 * Last line: {@code RESULT cycles=3 unlocked=3 lingerReadBack=0}.
 */
public final class AcceptorUnlock {
  private AcceptorUnlock() {}

  public static void main(String[] args) throws Exception {
    int cycles = 3;
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].equals("--cycles") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: AcceptorUnlock [--cycles N]");
      }
      cycles = Integer.parseInt(args[i + 1]);
    }
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    int unlocked = 0;
    int lingerReadBack = Integer.MIN_VALUE;
    for (int cycle = 0; cycle < cycles; cycle++) {
      ServerSocket listener = new ServerSocket(0, 50, loopback);
      Acceptor acceptor = new Acceptor(listener);
      Thread thread = new Thread(acceptor, "acceptor-" + cycle);
      thread.start();
      lingerReadBack = unlock(listener, acceptor);
      thread.join();
      listener.close();
      if (acceptor.woken) {
        unlocked++;
      }
    }
    System.out.println(
        "RESULT cycles=" + cycles + " unlocked=" + unlocked + " lingerReadBack=" + lingerReadBack);
  }

  /**
   * Wakes the acceptor with a connection of its own; returns the SO_LINGER read back from it. The
   * connection sends nothing, so its close has nothing to discard.
   */
  static int unlock(ServerSocket listener, Acceptor acceptor)
      throws IOException, InterruptedException {
    try (Socket s = new Socket()) {
      s.setSoLinger(true, 0); // unlock-setSoLinger
      s.connect(listener.getLocalSocketAddress(), 10_000);
      acceptor.accepted.await();
      return s.getSoLinger();
    }
  }

  /** Blocks in {@code accept()} until the stop's unlock connection arrives, then ends. */
  static final class Acceptor implements Runnable {
    final ServerSocket listener;
    final CountDownLatch accepted = new CountDownLatch(1);
    volatile boolean woken;

    Acceptor(ServerSocket listener) {
      this.listener = listener;
    }

    @Override
    public void run() {
      try (Socket unlock = listener.accept()) {
        woken = true;
      } catch (IOException e) {
        System.out.println("acceptor failed: " + e);
      } finally {
        accepted.countDown();
      }
    }
  }
}
