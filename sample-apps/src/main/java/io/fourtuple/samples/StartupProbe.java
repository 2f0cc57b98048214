package io.fourtuple.samples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * What a program pays for the agent at startup, and whether its very first socket is rewritten.
 *
 * <ul>
 *   <li>{@code quiet}: {@code main} opens no socket and returns. Run with {@code -verbose:class},
 *       the JVM lists every class it loaded: none of the agent's socket handling, JMX or JFR should
 *       be among them.
 *   <li>{@code first-socket}: the first thing {@code main} does is bind a client socket to
 *       (loopback, 0), as a pinned client does; then it binds listeners to port 0 until the
 *       ephemeral range is used up. A client bind the agent deferred ({@code
 *       IP_BIND_ADDRESS_NO_PORT}) holds no port, so the listeners get the whole range; one it
 *       missed holds a port of it, and they get one fewer. The kernel's count, not the agent's.
 * </ul>
 *
 * <p>Prints {@code RESULT quiet=1} or {@code RESULT listeners=N}.
 */
public final class StartupProbe {
  public static void main(String[] args) throws IOException {
    if (args.length == 0 || !args[0].equals("first-socket")) {
      System.out.println("RESULT quiet=1");
      return;
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    Socket first = new Socket();
    first.bind(new InetSocketAddress(loopback, 0));
    List<ServerSocket> listeners = new ArrayList<ServerSocket>();
    try {
      while (listeners.size() < 1000) {
        listeners.add(new ServerSocket(0, 1, loopback));
      }
    } catch (IOException rangeUsedUp) {
      // EADDRINUSE: no ephemeral port left for another listener.
    }
    System.out.println("RESULT listeners=" + listeners.size());
    for (ServerSocket listener : listeners) {
      listener.close();
    }
    first.close();
  }
}
