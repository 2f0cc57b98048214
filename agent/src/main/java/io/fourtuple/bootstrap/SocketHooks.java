package io.fourtuple.bootstrap;

/**
 * What the agent does at each hook: one method that receives every event the woven code reports.
 * Implemented by the agent's core and installed into {@link Dispatcher}; lives in the bootstrap
 * zone so that advice inlined into {@code java.base} can call it.
 *
 * <p>Hazards: {@link #on} runs on an application thread, inside a JDK socket method, sometimes
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
   * too). Binds, connects and closes report the channel; SO_LINGER sets, linger closes and Netty's
   * own option its Netty {@code LinuxSocket}.
   */
  int API_NETTY_EPOLL = 4;

  /**
   * A Netty io_uring channel ({@code io.netty.channel.uring.AbstractIoUringChannel}, the 4.1
   * incubator's {@code AbstractIOUringChannel}, relocated copies too), reported as {@link
   * #API_NETTY_EPOLL} is; its SO_LINGER sets arrive through the same {@code unix.Socket} hook, as
   * {@link #API_NETTY_EPOLL}.
   */
  int API_NETTY_IO_URING = 5;

  // The events; {@code socket} is the API's socket object as the hook sees it, other arguments as
  // listed (unused ones are null, 0 or false).

  /**
   * The application reads the local address of a bound socket; {@code n} is the port the JDK would
   * return: 0 for a socket whose port the agent deferred, which must be given a real port first
   * (the kernel allows a second bind while the port is 0). Reads with a port already set arrive
   * only when {@link #observesBoundPorts()} is true; the agent's own reads never arrive.
   */
  int LOCAL_READ = 1;

  /**
   * A bind is about to happen: {@code a} the descriptor ({@code FileDescriptor}, or Netty's {@code
   * LinuxSocket}), {@code b} the requested local address (an {@code InetAddress} with the port in
   * {@code n}, or a {@code SocketAddress}; null: the wildcard address and port 0, except for Netty,
   * whose {@code doConnect} passes null when it does not bind), {@code flag} true for a listener's
   * socket, which is never changed.
   */
  int BIND = 2;

  /** A bind has thrown {@code a}: {@code b} the requested local address as for {@link #BIND}. */
  int BIND_FAILED = 3;

  /**
   * {@code connect} returned {@code flag} (false: a non-blocking connect is in progress): {@code a}
   * the remote address, {@code b} the local address ({@code SocketAddress}, or an {@code
   * InetAddress} with the port in {@code n}; null: unknown at the hook).
   */
  int CONNECTED = 4;

  /**
   * {@code finishConnect} returned {@code flag}; as {@link #CONNECTED}, but false means nothing.
   */
  int FINISH_CONNECT = 5;

  /**
   * A connect ended with the outcome {@code c} (a {@code Throwable}; null: success, only where the
   * JDK hands a null failure to the application): {@code a} the remote, {@code b} the local
   * address, each null when unknown at the hook.
   */
  int CONNECT_OUTCOME = 6;

  /** The socket is being closed: the end of its life for the port ledger. */
  int CLOSING = 7;

  /** A socket that may linger is being closed: its close is timed from here. */
  int LINGER_CLOSING = 8;

  /** The close timed since {@link #LINGER_CLOSING} returned or threw. */
  int LINGER_CLOSED = 9;

  /**
   * SO_LINGER is about to be set: {@code flag} the {@code on} argument, {@code n} the seconds as
   * the application passed them (before the JDK validates or clamps them). Returns null to change
   * nothing, or a {@code Long} with the arguments to store back: the {@code on} flag (0 or 1) in
   * the high half, the seconds in the low half.
   */
  int SET_SO_LINGER = 10;

  /**
   * An option is about to be set: {@code a} its name (a {@code SocketOption}, or for Netty's own
   * {@code IP_BIND_ADDRESS_NO_PORT} the string {@link #NETTY_OWN_NO_PORT}), {@code b} the value.
   * Returns null to change nothing, or the value to store back.
   */
  int SET_OPTION = 11;

  /**
   * A TCP client socket that never bound is about to connect, just before the JDK's {@code
   * NetHooks.beforeTcpConnect} (the kernel picks its port in this connect): {@code a} the
   * descriptor ({@code FileDescriptor}). Netty's {@code doConnect} without a local address reports
   * {@link #BIND} with a null address instead.
   */
  int BEFORE_CONNECT = 12;

  /**
   * A Netty channel was created, on the thread that asked for it (its connect may run later on an
   * event loop): {@code socket} the channel ({@link #API_NETTY_EPOLL}, {@link #API_NETTY_IO_URING})
   * or, for Netty NIO, its {@code SocketChannel} ({@link #API_SOCKET_CHANNEL}); {@code a} the
   * parent channel, null for a channel the application made (an accepted one has its server's).
   */
  int CHANNEL_CREATED = 13;

  /** The name a Netty {@code LinuxSocket.setIpBindAddressNoPort(boolean)} is reported under. */
  String NETTY_OWN_NO_PORT = "IP_BIND_ADDRESS_NO_PORT";

  /** One event (see the constants) of one API ({@code API_*}); null unless the event returns. */
  Object on(int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag);

  /** Whether {@link #LOCAL_READ} wants reads of sockets that have a port already. */
  boolean observesBoundPorts();

  /** Something inside the agent failed while handling a hook; the application's call proceeds. */
  void onInternalError(String where, Throwable error);
}
