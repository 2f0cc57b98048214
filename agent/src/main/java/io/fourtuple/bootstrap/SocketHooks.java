package io.fourtuple.bootstrap;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.SocketAddress;

/**
 * What the agent does at each hook. Implemented by the agent's core and installed into {@link
 * Dispatcher}; lives in the bootstrap zone so that advice inlined into {@code java.base} can call
 * it.
 *
 * <p>Hazards: every method runs on an application thread, inside a JDK socket method, sometimes
 * before and sometimes while the JDK holds that socket's state lock. Implementations must not
 * block, do I/O, log, or open sockets; they must not throw (the dispatcher catches anything that
 * escapes, but only as a last line). Parameters are JDK types only: this interface is loaded by the
 * bootstrap class loader.
 */
public interface SocketHooks {

  /** A {@code java.net.Socket} (through its {@code SocketImpl}). */
  int API_SOCKET = 1;

  /** A {@code java.nio.channels.SocketChannel}, including its socket adaptor. */
  int API_SOCKET_CHANNEL = 2;

  /** A {@code java.nio.channels.AsynchronousSocketChannel}. */
  int API_ASYNC_SOCKET_CHANNEL = 3;

  /**
   * A Netty epoll channel ({@code io.netty.channel.epoll.AbstractEpollChannel}, relocated copies
   * too). Binds, connects and closes report the channel; SO_LINGER sets and timed closes its Netty
   * {@code LinuxSocket}.
   */
  int API_NETTY_EPOLL = 4;

  /** Returned by {@link #beforeSetLinger} to leave SO_LINGER off instead of the requested value. */
  int LINGER_OFF = Integer.MIN_VALUE;

  /**
   * A socket implementation is about to bind to {@code address:port}.
   *
   * @param server true when the implementation belongs to a listening socket; such a socket is
   *     never changed
   */
  void beforeSocketBind(
      Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server);

  /**
   * A socket channel is about to bind to {@code local} (null means the wildcard address, port 0).
   *
   * @param boundAlready the channel's current local address; non-null means the JDK will refuse the
   *     bind
   */
  void beforeChannelBind(
      Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready);

  /**
   * A channel of another API than {@code SocketChannel} (see {@code API_*}) is about to bind to
   * {@code local}, with the same meaning of the other parameters as {@link
   * #beforeChannelBind(Object, FileDescriptor, SocketAddress, Object)}.
   */
  void beforeChannelBind(
      int api, Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready);

  /**
   * A bind the hooks saw has thrown (for example EADDRINUSE when bind-before-connect has used up
   * the shared port pool).
   *
   * @param local the requested local address ({@code InetSocketAddress}, or the address and port as
   *     text)
   */
  void afterBindFailure(int api, Object socket, Object local, Throwable thrown);

  /**
   * A connect attempt has returned or thrown.
   *
   * @param local the local address after the attempt ({@code InetSocketAddress}), or an {@code
   *     Integer} local port where the JDK keeps only the port; may be null
   * @param completed false for a non-blocking connect that is still in progress
   * @param thrown the exception the JDK is about to throw, or null
   */
  void afterConnect(
      int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown);

  /**
   * A client socket is being closed (called at entry to the JDK's close, before its descriptor is
   * released; may be called more than once for one socket, and for sockets the hooks never saw
   * connect).
   */
  void beforeClose(int api, Object socket);

  /**
   * The application is about to read the local address or port of a bound {@code socket} (an API's
   * socket object as its bind hook saw it). {@code cachedPort} is what the JDK would return: 0 for
   * a socket whose port choice the agent deferred to connect, which must then be given a real port
   * first (the kernel allows a second bind while the port is 0). Reads with a port already set
   * arrive only when {@link #observesBoundPorts()} is true. Called from the JDK's getters, before
   * the JDK takes its own locks; the agent's own reads (on a thread inside a hook) never arrive.
   */
  default void localAddressRead(int api, Object socket, int cachedPort) {}

  /** Whether {@link #localAddressRead} wants reads of sockets that have a port already. */
  default boolean observesBoundPorts() {
    return false;
  }

  /** Something inside the agent failed while handling a hook; the application's call proceeds. */
  void onInternalError(String where, Throwable error);

  /**
   * The application is about to set SO_LINGER on {@code socket} (a {@code java.net.Socket} or a
   * socket channel), before the JDK validates or clamps the value.
   *
   * @param on false when the call turns linger off ({@code setSoLinger(false, n)} or a negative
   *     option value)
   * @param seconds the value as the application passed it
   * @return the seconds to apply instead (the same value to change nothing), or {@link #LINGER_OFF}
   */
  int beforeSetLinger(int api, Object socket, boolean on, int seconds);

  /** {@code socket} is about to be closed (only sockets the hooks saw with linger on are timed). */
  void beforeClose(Object socket);

  /** The close of {@code socket} has returned or thrown. */
  void afterClose(Object socket);

  /**
   * A Netty epoll channel is about to bind its socket to {@code local}: in {@code doBind} (an
   * explicit bind) or in {@code doConnect} (connect with a local address, which binds first). The
   * default does nothing, so other implementations need not know Netty.
   *
   * @param channel the {@code AbstractEpollChannel} (server, datagram and domain channels pass here
   *     too)
   * @param socket its Netty {@code LinuxSocket}, a {@code unix.FileDescriptor}: the descriptor to
   *     set the option on
   * @param local the requested local address (an {@code InetSocketAddress} or Netty's domain
   *     address)
   */
  default void beforeNettyBind(Object channel, Object socket, Object local) {}

  /**
   * The application set Netty's own {@code EpollChannelOption.IP_BIND_ADDRESS_NO_PORT} on {@code
   * socket} (true or false): the agent leaves that socket's binds alone.
   */
  default void nettyOwnBindAddressNoPort(Object socket, boolean value) {}

  /**
   * A Netty epoll channel's pending connect finished ({@code doFinishConnect} returned or threw).
   * The addresses are read from the channel by the implementation.
   *
   * @param socket null (the unsafe cannot read the channel's socket field)
   * @param connected the method's result (false: still pending); ignored when {@code thrown} is set
   */
  default void afterNettyFinishConnect(
      Object channel, Object socket, boolean connected, Throwable thrown) {}
}
