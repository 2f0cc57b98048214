package io.fourtuple.samples;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Another process that holds ports of the ephemeral range with explicit binds (listeners), the way
 * a service listening on a port such as 32801 does: those ports leave the pool {@code connect()}
 * picks from, for every destination and every process in the namespace. Prints {@code READY} once
 * bound, then holds the ports until its standard input closes.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.PortSquatter 60000 60001
 * </pre>
 */
public final class PortSquatter {
  private PortSquatter() {}

  public static void main(String[] args) throws Exception {
    List<ServerSocket> held = new ArrayList<ServerSocket>();
    InetAddress any = InetAddress.getByName("0.0.0.0");
    for (String port : args) {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(any, Integer.parseInt(port)));
      held.add(s);
    }
    System.out.println("READY");
    System.out.flush();
    while (System.in.read() >= 0) {
      // hold until the parent closes our stdin (or exits)
    }
    for (ServerSocket s : held) {
      s.close();
    }
  }
}
