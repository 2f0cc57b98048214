package io.fourtuple.agent.core;

import io.fourtuple.bootstrap.SocketHooks;

/** The socket APIs the hooks report from. */
public enum Api {
  SOCKET("java.net.Socket"),
  SOCKET_CHANNEL("java.nio.channels.SocketChannel");

  private final String label;

  Api(String label) {
    this.label = label;
  }

  /** Maps a {@code SocketHooks.API_*} constant. */
  public static Api of(int api) {
    return api == SocketHooks.API_SOCKET_CHANNEL ? SOCKET_CHANNEL : SOCKET;
  }

  @Override
  public String toString() {
    return label;
  }
}
