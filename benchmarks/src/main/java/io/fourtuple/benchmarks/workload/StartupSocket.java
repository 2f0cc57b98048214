package io.fourtuple.benchmarks.workload;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A program whose very first action is a client bind-before-connect: a listener on loopback, then a
 * {@code Socket} bound to (loopback, 0), connected and closed.
 *
 * <p>The port read right after {@code bind} is the proof the harness checks: 0 means {@code
 * IP_BIND_ADDRESS_NO_PORT} was set before the bind (the kernel defers the choice to {@code
 * connect}), so the agent's hooks were in place before the application's first socket. Any other
 * value means a socket bound during startup was missed.
 *
 * <p>Prints one line: {@code RESULT portAfterBind=0 portAfterConnect=41234}.
 */
public final class StartupSocket {
  private StartupSocket() {}

  public static void main(String[] args) throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    ServerSocket listener = new ServerSocket(0, 50, loopback);
    Socket client = new Socket();
    client.bind(new InetSocketAddress(loopback, 0));
    int portAfterBind = client.getLocalPort();
    client.connect(listener.getLocalSocketAddress());
    int portAfterConnect = client.getLocalPort();
    client.close();
    listener.close();
    System.out.println(
        "RESULT portAfterBind=" + portAfterBind + " portAfterConnect=" + portAfterConnect);
  }
}
