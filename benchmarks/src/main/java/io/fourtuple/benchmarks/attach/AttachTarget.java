package io.fourtuple.benchmarks.attach;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The JVM the attach benchmark attaches to: a service that has its socket classes loaded and keeps
 * using them, so attach has classes to retransform and detach has bytecode to restore. Every 50 ms
 * it binds a client socket to (127.0.0.1, 0), reads the local port right after bind, connects to
 * its own listener and closes; it prints {@code TICK n portAfterBind=p}, where 0 means
 * IP_BIND_ADDRESS_NO_PORT was set (the agent is attached and working) and a real port means it is
 * not.
 */
public final class AttachTarget {
  private AttachTarget() {}

  public static void main(String[] args) throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    final ServerSocket listener = new ServerSocket(0, 50, loopback);
    Thread acceptor =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                while (true) {
                  try {
                    listener.accept().close();
                  } catch (IOException e) {
                    return;
                  }
                }
              }
            },
            "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println("READY");
    for (long tick = 1; ; tick++) {
      Socket s = new Socket();
      s.bind(new InetSocketAddress(loopback, 0));
      int port = s.getLocalPort();
      s.connect(listener.getLocalSocketAddress(), 5000);
      s.setSoLinger(true, 0); // RST: no TIME_WAIT piles up however long it runs
      s.close();
      System.out.println("TICK " + tick + " portAfterBind=" + port);
      Thread.sleep(50);
    }
  }
}
