package io.fourtuple.agent.core;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import java.net.InetAddress;

/**
 * An optional part that follows client sockets (the port ledger, the call-site ledger): it
 * subscribes to the {@link SocketEventHandler} instead of being null-checked at every event, and
 * implements only what it needs. Called on application threads inside JDK socket methods, with the
 * hazards listed in {@code SocketHooks}: no blocking, no I/O, no logging, no throwing.
 */
public interface SocketListener {
  /** A bind the policy has just handled ({@code socket} is what the connect hook will see). */
  default void bound(Api api, Object socket, BindOutcome outcome, InetAddress address, int port) {}

  /** A bind failed; {@code local} is the requested address. */
  default void bindFailed(Object socket, Object local, Throwable thrown, ConnectFailure cause) {}

  /**
   * A connect completed: {@code local} the local {@code InetSocketAddress}, or null with the port
   * in {@code localPort}.
   */
  default void connected(Object socket, Object remote, Object local, int localPort) {}

  /** An asynchronous connect was left pending; it completes on the channel group's poller. */
  default void connectPending(Object remote) {}

  default void connectFailed(
      Object socket, Object remote, Throwable thrown, ConnectFailure cause) {}

  /** The socket of {@code record} is closing (before the JDK closes it). */
  default void closed(SocketRecords.Record record) {}

  /**
   * The application read the local port of {@code socket} between its bind and its connect: {@code
   * assigned}, the agent gave the deferred socket its port then; otherwise (audit mode) a read that
   * enforce would have had to answer so. Returns true the first time the read is counted for that
   * socket.
   */
  default boolean localPortRead(Object socket, boolean assigned) {
    return false;
  }
}
