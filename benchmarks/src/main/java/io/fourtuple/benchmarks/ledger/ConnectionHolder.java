package io.fourtuple.benchmarks.ledger;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds {@code count} loopback connections to the given ports, so a benchmark can fill the kernel
 * table past one process's descriptor limit: prints {@code READY} once connected, exits when its
 * standard input closes.
 *
 * <pre>
 * java -cp fourtuple-benchmarks.jar io.fourtuple.benchmarks.ledger.ConnectionHolder 15000 40001 40002
 * </pre>
 */
public final class ConnectionHolder {
  private ConnectionHolder() {}

  public static void main(String[] args) throws Exception {
    int count = Integer.parseInt(args[0]);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    List<SocketChannel> held = new ArrayList<SocketChannel>(count);
    for (int i = 0; i < count; i++) {
      int port = Integer.parseInt(args[1 + i % (args.length - 1)]);
      held.add(SocketChannel.open(new InetSocketAddress(loopback, port)));
    }
    System.out.println("READY " + held.size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // hold
    }
    for (SocketChannel c : held) {
      c.close();
    }
  }
}
