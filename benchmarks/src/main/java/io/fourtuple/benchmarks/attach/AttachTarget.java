package io.fourtuple.benchmarks.attach;

import io.fourtuple.benchmarks.workload.KernelView;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The JVM the attach benchmark attaches to: a service that has its socket classes loaded and keeps
 * using them, so attach has classes to retransform and detach has bytecode to restore. Every 50 ms
 * it binds a client socket to (127.0.0.1, 0), asks the kernel for the socket's local port right
 * after bind, connects to its own listener and closes; it prints {@code TICK n
 * kernelPortAfterBind=p}, where 0 means IP_BIND_ADDRESS_NO_PORT was set (the agent is attached and
 * working) and a real port means it is not.
 *
 * <p>The port is the kernel's ({@code getsockname} through {@link KernelView}), not {@code
 * getLocalPort()}: the agent gives a deferred socket its port when the application reads it, so
 * that read shows a port whether the agent is attached or not. Needs {@code --add-opens
 * java.base/java.net=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED} on JDK 9+.
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
      int port = KernelView.localPort(s);
      s.connect(listener.getLocalSocketAddress(), 5000);
      s.setSoLinger(true, 0); // RST: no TIME_WAIT piles up however long it runs
      s.close();
      System.out.println("TICK " + tick + " kernelPortAfterBind=" + port);
      Thread.sleep(50);
    }
  }
}
