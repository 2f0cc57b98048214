package shaded.io.netty.channel.uring;

import java.net.SocketAddress;

/**
 * Stands in for a relocated Netty class in unit tests: its name and hierarchy, its {@code socket}
 * and the destination of its pending connect ({@code requestedRemoteAddress}).
 */
public abstract class AbstractIoUringStreamChannel {
  protected final LinuxSocket socket = new LinuxSocket();
  protected SocketAddress requestedRemoteAddress;
}
