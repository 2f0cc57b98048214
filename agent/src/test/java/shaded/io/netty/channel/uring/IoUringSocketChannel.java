package shaded.io.netty.channel.uring;

/** Stands in for a relocated Netty class in unit tests: only its name and hierarchy matter. */
public final class IoUringSocketChannel extends AbstractIoUringStreamChannel {}
