package io.fourtuple.bootstrap;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The one entry point that code woven into JDK socket classes calls, and code woven into the
 * application's Netty epoll classes (which reach it through parent delegation; the weaver checks
 * each loader first). Loaded by the bootstrap class loader (injected by the agent, not appended to
 * the boot class path, so class-data sharing stays on). In the style of Arthas' {@code SpyAPI}: a
 * wall of one-liners, one per shape of call the woven code can push without local variables or
 * branches (a pending exception or return value first), each naming its event and API with
 * constants of {@link SocketHooks}; the instrumentation's {@code Entry} table names them for the
 * weaver and for the test that links every woven call against this class.
 *
 * <p>The delegate is a no-op until the agent installs its {@link SocketHooks} and again after
 * detach: detach is one volatile write. Hazards this class guards against, once, in {@link #call}:
 *
 * <ul>
 *   <li>Re-entrancy. If the agent's own code opens or binds a socket inside a hook (or a JDK static
 *       initializer reached from a hook does), the hook would run again on the same thread; inside
 *       a static initializer that recursion has killed JVMs with {@code NoClassDefFoundError}. A
 *       per-thread flag makes nested calls return at once. Agent threads set the flag for their
 *       whole life.
 *   <li>Failure. Everything is caught: the woven code has no handler of its own for the call, so
 *       nothing may escape into the application's socket call. A delegate failure is reported to it
 *       once more through {@link SocketHooks#onInternalError}, and the call returns null (change
 *       nothing).
 * </ul>
 *
 * <p>JDK types only; everything is public because woven code in other packages calls it.
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

  /**
   * Marks the current thread as one of the agent's own: hooks are skipped on it for good. Called
   * first thing by every thread the agent starts.
   */
  public static void markAgentThread() {
    INSIDE.get()[0] = true;
  }

  /**
   * Entry of a local address getter, and of a socket implementation's {@code bind}: the cached
   * local address ({@code SocketImpl}: its {@code address} with the port in {@code port}; channels:
   * their {@code InetSocketAddress}). The only test made here, so that the application's common
   * read costs two compares: a socket never bound (no address) is skipped, and in enforce mode one
   * with a port already.
   */
  public static void localRead(Object socket, Object local, int port, int api) {
    if (local instanceof InetSocketAddress) {
      port = ((InetSocketAddress) local).getPort();
    } else if (!(local instanceof InetAddress)) {
      return;
    }
    if (port == 0 || observeBoundPorts) {
      call(SocketHooks.LOCAL_READ, api, socket, null, null, null, port, false);
    }
  }

  public static void bind(
      Object socket, Object fd, Object local, int port, boolean server, int api) {
    call(SocketHooks.BIND, api, socket, fd, local, null, port, server);
  }

  public static void bindFailed(Throwable thrown, Object socket, Object local, int port, int api) {
    call(SocketHooks.BIND_FAILED, api, socket, thrown, local, null, port, false);
  }

  public static void beforeConnect(Object socket, Object fd, int api) {
    call(SocketHooks.BEFORE_CONNECT, api, socket, fd, null, null, 0, false);
  }

  /** {@code event}: {@link SocketHooks#CONNECTED} or {@link SocketHooks#FINISH_CONNECT}. */
  public static void connected(
      boolean result, Object socket, Object remote, Object local, int port, int api, int event) {
    call(event, api, socket, remote, local, null, port, result);
  }

  public static void connectOutcome(
      Throwable failure, Object socket, Object remote, Object local, int api) {
    call(SocketHooks.CONNECT_OUTCOME, api, socket, remote, local, failure, 0, false);
  }

  /**
   * {@code event}: {@link SocketHooks#CLOSING}, {@code LINGER_CLOSING} or {@code LINGER_CLOSED}.
   */
  public static void close(Object socket, int api, int event) {
    call(event, api, socket, null, null, null, 0, false);
  }

  /**
   * Entry of a {@code setSoLinger}: both arguments to store back, packed so the woven code needs no
   * local: the high half is the {@code on} flag (0 or 1), the low half the seconds.
   */
  public static long setSoLinger(Object socket, boolean on, int seconds, int api) {
    Object changed = call(SocketHooks.SET_SO_LINGER, api, socket, null, null, null, seconds, on);
    return changed instanceof Long
        ? ((Long) changed).longValue()
        : (on ? 1L << 32 : 0L) | (seconds & 0xFFFFFFFFL);
  }

  /** The end of a Netty channel's constructor ({@link SocketHooks#CHANNEL_CREATED}). */
  public static void channelCreated(Object socket, Object parent, int api) {
    call(SocketHooks.CHANNEL_CREATED, api, socket, parent, null, null, 0, false);
  }

  /** Entry of a {@code setOption}: the value to store back. */
  public static Object setOption(Object socket, Object name, Object value, int api) {
    Object changed = call(SocketHooks.SET_OPTION, api, socket, name, value, null, 0, false);
    return changed == null ? value : changed;
  }

  /** The guard every entry goes through: never throws, never re-enters; null to change nothing. */
  private static Object call(
      int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag) {
    SocketHooks h;
    boolean[] inside;
    try {
      h = hooks;
      if (h == NO_OP) {
        return null;
      }
      inside = INSIDE.get();
      if (inside[0]) {
        return null;
      }
      inside[0] = true;
    } catch (Throwable t) {
      return null;
    }
    try {
      return h.on(event, api, socket, a, b, c, n, flag);
    } catch (Throwable t) {
      try {
        h.onInternalError("hook " + event, t);
      } catch (Throwable ignored) {
        // Nothing more can be done without risking the application's call.
      }
      return null;
    } finally {
      inside[0] = false;
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
    public Object on(
        int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag) {
      return null;
    }

    @Override
    public boolean observesBoundPorts() {
      return false;
    }

    @Override
    public void onInternalError(String where, Throwable error) {}
  }
}
