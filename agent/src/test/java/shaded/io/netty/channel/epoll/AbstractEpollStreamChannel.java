package shaded.io.netty.channel.epoll;

/**
 * Stands in for a relocated Netty class in unit tests: its name and hierarchy matter, and its field
 * {@code socket}, which stands in for the channel's {@code LinuxSocket}.
 */
public abstract class AbstractEpollStreamChannel {
  protected final Object socket = new Object();
}
