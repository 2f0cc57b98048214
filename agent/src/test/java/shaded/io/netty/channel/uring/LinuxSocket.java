package shaded.io.netty.channel.uring;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Stands in for a relocated Netty io_uring socket in unit tests: its package, and the local address
 * the kernel gave it.
 */
public final class LinuxSocket {
  public InetSocketAddress localAddress() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 60001);
  }
}
