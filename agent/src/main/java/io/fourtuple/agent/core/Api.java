package io.fourtuple.agent.core;

import io.fourtuple.bootstrap.SocketHooks;

/** The socket APIs the hooks report from. */
public enum Api {
  SOCKET("java.net.Socket"),
  SOCKET_CHANNEL("java.nio.channels.SocketChannel"),
  ASYNC_SOCKET_CHANNEL("java.nio.channels.AsynchronousSocketChannel"),
  NETTY_EPOLL("Netty epoll channel"),
  NETTY_IO_URING("Netty io_uring channel");

  private final String label;

  Api(String label) {
    this.label = label;
  }

  /** Maps a {@code SocketHooks.API_*} constant. */
  public static Api of(int api) {
    switch (api) {
      case SocketHooks.API_SOCKET_CHANNEL:
        return SOCKET_CHANNEL;
      case SocketHooks.API_ASYNC_SOCKET_CHANNEL:
        return ASYNC_SOCKET_CHANNEL;
      case SocketHooks.API_NETTY_EPOLL:
        return NETTY_EPOLL;
      case SocketHooks.API_NETTY_IO_URING:
        return NETTY_IO_URING;
      default:
        return SOCKET;
    }
  }

  /**
   * A Netty native channel: it binds, connects and closes in Netty's own native code; its hooks
   * report the channel, and its record is keyed by the channel's {@code LinuxSocket}.
   */
  public boolean isNetty() {
    return this == NETTY_EPOLL || this == NETTY_IO_URING;
  }

  @Override
  public String toString() {
    return label;
  }
}
