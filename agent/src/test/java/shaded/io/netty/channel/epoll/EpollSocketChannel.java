package shaded.io.netty.channel.epoll;

/** Stands in for a relocated Netty class in unit tests: only its name and hierarchy matter. */
public class EpollSocketChannel extends AbstractEpollStreamChannel {}
