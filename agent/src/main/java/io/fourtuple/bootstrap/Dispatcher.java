package io.fourtuple.bootstrap;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousSocketChannel;

/**
 * The one entry point that code woven into JDK socket classes calls, and code woven into the
 * application's Netty epoll classes (which reach it through parent delegation; the weaver checks
 * each loader first). Loaded by the bootstrap class loader (injected by the agent, not appended to
 * the boot class path, so class-data sharing stays on).
 *
 * <p>The delegate is a no-op until the agent installs its {@link SocketHooks} and again after
 * detach: detach is one volatile write. Hazards this class guards against:
 *
 * <ul>
 *   <li>Re-entrancy. If the agent's own code opens or binds a socket inside a hook (or a JDK static
 *       initializer reached from a hook does), the hook would run again on the same thread; inside
 *       a static initializer that recursion has killed JVMs with {@code NoClassDefFoundError}. A
 *       per-thread flag makes nested calls return at once. Agent threads set the flag for their
 *       whole life.
 *   <li>Failure. Every entry point catches everything: the woven code has no handler of its own for
 *       the call, so nothing may escape into the application's socket call. A delegate failure is
 *       reported to it once more through {@link SocketHooks#onInternalError}.
 * </ul>
 *
 * <p>The entry points take their arguments in the order the woven code can push them without local
 * variables or branches (a pending exception or return value first). JDK types only; everything is
 * public because woven code in other packages calls it.
 */
public final class Dispatcher {

  private static final SocketHooks NO_OP = new NoOpHooks();

  private static volatile SocketHooks hooks = NO_OP;

  /**
   * Whether reads of a local port that is already set reach the hooks too ({@link
   * SocketHooks#observesBoundPorts()}, read at install): only audit mode needs them.
   */
  private static volatile boolean observeBoundPorts;

  /**
   * JDK 9 to 12 pass a {@code Socket.setOption(SO_LINGER, n)} value straight to the old socket
   * implementation, which turns linger off only for {@code Boolean.FALSE}: a negative Integer there
   * sets linger on with the kernel's maximum wait. Later JDKs check the type and accept -1 as off.
   */
  private static final boolean SOCKET_LINGER_OFF_IS_BOOLEAN = socketLingerOffIsBoolean();

  /**
   * Per-thread "inside the agent" flag; an array so that reading and writing it allocates nothing.
   */
  private static final ThreadLocal<boolean[]> INSIDE = new InsideFlag();

  private Dispatcher() {}

  /**
   * Installs the agent's hooks; returns false if hooks were installed already (attach-once guard).
   */
  public static synchronized boolean install(SocketHooks delegate) {
    if (delegate == null) {
      throw new NullPointerException("delegate");
    }
    if (hooks != NO_OP) {
      return false;
    }
    observeBoundPorts = delegate.observesBoundPorts();
    hooks = delegate;
    return true;
  }

  /** Restores the no-op delegate. Woven code keeps calling in, and returns at once. */
  public static synchronized void reset() {
    hooks = NO_OP;
    observeBoundPorts = false;
  }

  /** The hooks in force, or null when none are installed. */
  public static SocketHooks installed() {
    SocketHooks current = hooks;
    return current == NO_OP ? null : current;
  }

  /**
   * Marks the current thread as one of the agent's own: hooks are skipped on it for good. Called
   * first thing by every thread the agent starts.
   */
  public static void markAgentThread() {
    INSIDE.get()[0] = true;
  }

  // ---- the application reads a local address (materialize on observation) ----

  /**
   * Entry of {@code SocketImpl.getLocalPort()} and of a socket implementation's {@code bind}: the
   * port and address the implementation caches ({@code localport}, {@code address}). A socket that
   * was never bound (no address) is skipped here, and in enforce mode one with a port already, so
   * that the common read costs two compares.
   */
  public static void socketLocalRead(Object impl, int localPort, Object address) {
    if (address != null && (localPort == 0 || observeBoundPorts)) {
      localRead(SocketHooks.API_SOCKET, impl, localPort);
    }
  }

  /**
   * Entry of a channel's {@code getLocalAddress()} (and the socket channel's {@code
   * localAddress()}, which its socket adaptor reads): the channel's cached local address.
   */
  public static void channelLocalRead(Object channel, Object localAddress, int api) {
    if (localAddress instanceof InetSocketAddress) {
      int port = ((InetSocketAddress) localAddress).getPort();
      if (port == 0 || observeBoundPorts) {
        localRead(api, channel, port);
      }
    }
  }

  private static void localRead(int api, Object socket, int cachedPort) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.localAddressRead(api, socket, cachedPort);
    } catch (Throwable t) {
      reportSafely(h, "localAddressRead", t);
    } finally {
      exit();
    }
  }

  // ---- java.net.Socket, through its SocketImpl ----

  public static void beforeSocketBind(
      Object impl, FileDescriptor fd, boolean server, InetAddress address, int port) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeSocketBind(impl, fd, address, port, server);
    } catch (Throwable t) {
      reportSafely(h, "beforeSocketBind", t);
    } finally {
      exit();
    }
  }

  /** JDK 8–12: a listener is a socket implementation whose {@code serverSocket} is set. */
  public static void beforeSocketBindServerRef(
      Object impl, FileDescriptor fd, Object serverSocket, InetAddress address, int port) {
    beforeSocketBind(impl, fd, serverSocket != null, address, port);
  }

  public static void socketBindFailed(
      Throwable thrown, Object impl, InetAddress address, int port) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      Object local;
      try {
        local = new InetSocketAddress(address, port);
      } catch (IllegalArgumentException badPort) {
        local = String.valueOf(address) + ":" + port;
      }
      h.afterBindFailure(SocketHooks.API_SOCKET, impl, local, thrown);
    } catch (Throwable t) {
      reportSafely(h, "socketBindFailed", t);
    } finally {
      exit();
    }
  }

  public static void socketConnected(Object impl, SocketAddress remote, int localPort) {
    afterConnect(SocketHooks.API_SOCKET, impl, remote, localPort, true, null);
  }

  public static void socketConnectFailed(
      Throwable thrown, Object impl, SocketAddress remote, int timeoutMillis) {
    afterConnect(SocketHooks.API_SOCKET, impl, remote, null, true, thrown);
  }

  /** {@code SocketImpl.close()} entered. */
  public static void socketClosing(Object impl) {
    beforeClose(SocketHooks.API_SOCKET, impl);
  }

  // ---- java.nio.channels.SocketChannel ----

  public static void beforeChannelBind(
      Object channel, FileDescriptor fd, Object boundAlready, SocketAddress local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeChannelBind(channel, fd, local, boundAlready);
    } catch (Throwable t) {
      reportSafely(h, "beforeChannelBind", t);
    } finally {
      exit();
    }
  }

  public static void channelBindFailed(Throwable thrown, Object channel, SocketAddress local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterBindFailure(SocketHooks.API_SOCKET_CHANNEL, channel, local, thrown);
    } catch (Throwable t) {
      reportSafely(h, "channelBindFailed", t);
    } finally {
      exit();
    }
  }

  /**
   * {@code connect} returned: true when connected, false when a non-blocking connect is pending.
   */
  public static void channelConnected(
      boolean connected, Object channel, Object remote, Object local) {
    afterConnect(SocketHooks.API_SOCKET_CHANNEL, channel, remote, local, connected, null);
  }

  /** {@code finishConnect} returned; only a true result completes a connect. */
  public static void channelFinishConnect(
      boolean connected, Object channel, Object remote, Object local) {
    if (connected) {
      afterConnect(SocketHooks.API_SOCKET_CHANNEL, channel, remote, local, true, null);
    }
  }

  public static void channelConnectFailed(Throwable thrown, Object channel, Object remote) {
    afterConnect(SocketHooks.API_SOCKET_CHANNEL, channel, remote, null, true, thrown);
  }

  // ---- java.nio.channels.AsynchronousSocketChannel ----

  /** {@code AsynchronousSocketChannelImpl.bind(SocketAddress)} entered (before its state lock). */
  public static void beforeAsyncChannelBind(
      Object channel, FileDescriptor fd, Object boundAlready, SocketAddress local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeChannelBind(SocketHooks.API_ASYNC_SOCKET_CHANNEL, channel, fd, local, boundAlready);
    } catch (Throwable t) {
      reportSafely(h, "beforeAsyncChannelBind", t);
    } finally {
      exit();
    }
  }

  public static void asyncChannelBindFailed(Throwable thrown, Object channel, SocketAddress local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterBindFailure(SocketHooks.API_ASYNC_SOCKET_CHANNEL, channel, local, thrown);
    } catch (Throwable t) {
      reportSafely(h, "asyncChannelBindFailed", t);
    } finally {
      exit();
    }
  }

  /** A connect is about to wait for the poller: neither succeeded nor failed yet. */
  public static void asyncConnectPending(Object channel, Object remote) {
    afterConnect(SocketHooks.API_ASYNC_SOCKET_CHANNEL, channel, remote, null, false, null);
  }

  /**
   * The outcome of a connect, just before the JDK hands it to the application's future or handler
   * (or the exception {@code implConnect} throws): null is success. The local address is read here,
   * through the channel's public API, once the connect has set it.
   */
  public static void asyncConnectOutcome(Throwable failure, Object channel, Object remote) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      Object local = null;
      if (failure == null && channel instanceof AsynchronousSocketChannel) {
        local = ((AsynchronousSocketChannel) channel).getLocalAddress();
      }
      h.afterConnect(SocketHooks.API_ASYNC_SOCKET_CHANNEL, channel, remote, local, true, failure);
    } catch (Throwable t) {
      reportSafely(h, "asyncConnectOutcome", t);
    } finally {
      exit();
    }
  }

  /** {@code UnixAsynchronousSocketChannelImpl.implClose()} entered. */
  public static void asyncChannelClosing(Object channel) {
    beforeClose(SocketHooks.API_ASYNC_SOCKET_CHANNEL, channel);
  }

  // ---- SO_LINGER ----

  /**
   * Entry of {@code Socket.setSoLinger(boolean, int)}. Returns both arguments to store back, packed
   * so the woven code needs no local: the high half is the {@code on} flag (0 or 1), the low half
   * the seconds. Unchanged unless the hooks ask to change them.
   */
  public static long socketSetSoLinger(Object socket, boolean on, int seconds) {
    int applied = setLinger(SocketHooks.API_SOCKET, socket, on, seconds);
    if (applied == SocketHooks.LINGER_OFF && seconds != SocketHooks.LINGER_OFF) {
      return seconds & 0xFFFFFFFFL;
    }
    return ((on ? 1L : 0L) << 32) | (applied & 0xFFFFFFFFL);
  }

  /**
   * Entry of {@code setOption(SocketOption, Object)} of a socket or socket channel: the value to
   * store back. Any option but SO_LINGER returns at once. A negative SO_LINGER value means off (the
   * JDK's own convention for these methods).
   */
  public static Object setOptionValue(Object socket, Object name, Object value, int api) {
    if (name != StandardSocketOptions.SO_LINGER || !(value instanceof Integer)) {
      return value;
    }
    int seconds = ((Integer) value).intValue();
    int applied = setLinger(api, socket, seconds >= 0, seconds);
    if (applied == seconds) {
      return value;
    }
    if (applied != SocketHooks.LINGER_OFF) {
      return Integer.valueOf(applied);
    }
    return api == SocketHooks.API_SOCKET && SOCKET_LINGER_OFF_IS_BOOLEAN
        ? (Object) Boolean.FALSE
        : (Object) Integer.valueOf(-1);
  }

  private static boolean socketLingerOffIsBoolean() {
    try {
      String version = System.getProperty("java.specification.version", "");
      if (version.startsWith("1.")) {
        return false; // JDK 8 has no Socket.setOption
      }
      int major = Integer.parseInt(version);
      return major >= 9 && major <= 12;
    } catch (RuntimeException e) {
      return false;
    }
  }

  public static void beforeClose(Object socket) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeClose(socket);
    } catch (Throwable t) {
      reportSafely(h, "beforeClose", t);
    } finally {
      exit();
    }
  }

  public static void afterClose(Object socket) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterClose(socket);
    } catch (Throwable t) {
      reportSafely(h, "afterClose", t);
    } finally {
      exit();
    }
  }

  public static void closeFailed(Throwable thrown, Object socket) {
    afterClose(socket);
  }

  private static int setLinger(int api, Object socket, boolean on, int seconds) {
    SocketHooks h = enter();
    if (h == null) {
      return seconds;
    }
    try {
      return h.beforeSetLinger(api, socket, on, seconds);
    } catch (Throwable t) {
      reportSafely(h, "beforeSetLinger", t);
      return seconds;
    } finally {
      exit();
    }
  }

  /** {@code SocketChannelImpl.implCloseSelectableChannel()} entered. */
  public static void channelClosing(Object channel) {
    beforeClose(SocketHooks.API_SOCKET_CHANNEL, channel);
  }

  // ---- Netty epoll channels (AbstractEpollChannel, unix.Socket, LinuxSocket; relocated too) ----
  // Binds, connects and closes reach the port ledger under the channel's identity (a pending
  // connect completes in the channel's unsafe, which knows the channel); SO_LINGER sets and timed
  // closes under its Netty socket's (unix.Socket.setSoLinger knows only the socket).

  /** {@code AbstractEpollChannel.doBind(SocketAddress)} entered. */
  public static void nettyBeforeBind(Object channel, Object socket, Object local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeNettyBind(channel, socket, local);
    } catch (Throwable t) {
      reportSafely(h, "beforeNettyBind", t);
    } finally {
      exit();
    }
  }

  public static void nettyBindFailed(
      Throwable thrown, Object channel, Object socket, Object local) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterBindFailure(SocketHooks.API_NETTY_EPOLL, channel, local, thrown);
    } catch (Throwable t) {
      reportSafely(h, "nettyBindFailed", t);
    } finally {
      exit();
    }
  }

  /**
   * {@code AbstractEpollChannel.doConnect(remote, local)} entered: with a local address it binds
   * the socket itself before connecting.
   */
  public static void nettyBeforeConnect(
      Object channel, Object socket, Object remote, Object local) {
    if (local != null) {
      nettyBeforeBind(channel, socket, local);
    }
  }

  /** {@code doConnect} returned: true when connected at once, false when the connect is pending. */
  public static void nettyConnected(
      boolean connected, Object channel, Object remote, Object local) {
    afterConnect(SocketHooks.API_NETTY_EPOLL, channel, remote, local, connected, null);
  }

  /** {@code doConnect} threw: its own bind (Netty's message starts with "bind(") or the connect. */
  public static void nettyConnectFailed(
      Throwable thrown, Object channel, Object socket, Object remote, Object local) {
    afterConnect(SocketHooks.API_NETTY_EPOLL, channel, remote, local, true, thrown);
  }

  /** {@code AbstractEpollUnsafe.doFinishConnect()} returned. */
  public static void nettyFinishConnect(boolean connected, Object channel, Object socket) {
    finishConnect(channel, socket, connected, null);
  }

  public static void nettyFinishConnectFailed(Throwable thrown, Object channel, Object socket) {
    finishConnect(channel, socket, false, thrown);
  }

  /**
   * Entry of Netty's {@code unix.Socket.setSoLinger(int)} (negative: off): the value to store back.
   * Every epoll SO_LINGER set ends there, whatever the channel option path.
   */
  public static int nettySetSoLinger(Object socket, int seconds) {
    int applied = setLinger(SocketHooks.API_NETTY_EPOLL, socket, seconds >= 0, seconds);
    return applied == SocketHooks.LINGER_OFF ? -1 : applied;
  }

  /** Entry of {@code LinuxSocket.setIpBindAddressNoPort(boolean)}: Netty's own option. */
  public static void nettyOwnBindAddressNoPort(Object socket, boolean value) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.nettyOwnBindAddressNoPort(socket, value);
    } catch (Throwable t) {
      reportSafely(h, "nettyOwnBindAddressNoPort", t);
    } finally {
      exit();
    }
  }

  /** {@code AbstractEpollChannel.doClose()} entered; {@code socket} is the channel's. */
  public static void nettyClosing(Object channel, Object socket) {
    beforeClose(SocketHooks.API_NETTY_EPOLL, channel);
    beforeClose(socket);
  }

  private static void finishConnect(
      Object channel, Object socket, boolean connected, Throwable thrown) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterNettyFinishConnect(channel, socket, connected, thrown);
    } catch (Throwable t) {
      reportSafely(h, "afterNettyFinishConnect", t);
    } finally {
      exit();
    }
  }

  // ---- plumbing ----

  private static void beforeClose(int api, Object socket) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.beforeClose(api, socket);
    } catch (Throwable t) {
      reportSafely(h, "beforeClose", t);
    } finally {
      exit();
    }
  }

  private static void afterConnect(
      int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterConnect(api, socket, remote, local, completed, thrown);
    } catch (Throwable t) {
      reportSafely(h, "afterConnect", t);
    } finally {
      exit();
    }
  }

  private static void afterConnect(
      int api, Object socket, Object remote, int localPort, boolean completed, Throwable thrown) {
    SocketHooks h = enter();
    if (h == null) {
      return;
    }
    try {
      h.afterConnect(api, socket, remote, Integer.valueOf(localPort), completed, thrown);
    } catch (Throwable t) {
      reportSafely(h, "afterConnect", t);
    } finally {
      exit();
    }
  }

  /** The delegate to call, with this thread marked as inside; null to do nothing. Never throws. */
  private static SocketHooks enter() {
    try {
      SocketHooks current = hooks;
      if (current == NO_OP) {
        return null;
      }
      boolean[] inside = INSIDE.get();
      if (inside[0]) {
        return null;
      }
      inside[0] = true;
      return current;
    } catch (Throwable t) {
      return null;
    }
  }

  private static void exit() {
    try {
      INSIDE.get()[0] = false;
    } catch (Throwable ignored) {
      // The flag stays set; hooks are skipped on this thread from now on, which is safe.
    }
  }

  private static void reportSafely(SocketHooks current, String where, Throwable error) {
    try {
      current.onInternalError(where, error);
    } catch (Throwable ignored) {
      // Nothing more can be done without risking the application's call.
    }
  }

  private static final class InsideFlag extends ThreadLocal<boolean[]> {
    // A non-private constructor, so javac emits no synthetic access class (Dispatcher$1) that would
    // have to be injected into the bootstrap loader too.
    InsideFlag() {}

    @Override
    protected boolean[] initialValue() {
      return new boolean[1];
    }
  }

  private static final class NoOpHooks implements SocketHooks {
    NoOpHooks() {}

    @Override
    public void beforeSocketBind(
        Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server) {}

    @Override
    public void beforeChannelBind(
        Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {}

    @Override
    public void beforeChannelBind(
        int api, Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {}

    @Override
    public void afterBindFailure(int api, Object socket, Object local, Throwable thrown) {}

    @Override
    public void afterConnect(
        int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {}

    @Override
    public void beforeClose(int api, Object socket) {}

    @Override
    public void onInternalError(String where, Throwable error) {}

    @Override
    public int beforeSetLinger(int api, Object socket, boolean on, int seconds) {
      return seconds;
    }

    @Override
    public void beforeClose(Object socket) {}

    @Override
    public void afterClose(Object socket) {}
  }
}
