package io.fourtuple.bootstrap;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The one entry point that advice inlined into JDK socket classes calls. Loaded by the bootstrap class
 * loader (injected by the agent, not appended to the boot class path, so class-data sharing stays on).
 *
 * <p>The delegate is a no-op until the agent installs its {@link SocketHooks} and again after detach: detach
 * is one volatile write. Hazards this class guards against:
 *
 * <ul>
 *   <li>Re-entrancy. If the agent's own code opens or binds a socket inside a hook (or a JDK static
 *       initializer reached from a hook does), the hook would run again on the same thread; inside a static
 *       initializer that recursion has killed JVMs with {@code NoClassDefFoundError}. A per-thread flag makes
 *       nested calls return at once. Agent threads set the flag for their whole life.
 *   <li>Failure. Anything thrown by the delegate is caught here and reported to it once more through
 *       {@link SocketHooks#onInternalError}; nothing reaches the application.
 * </ul>
 *
 * <p>JDK types only; every member is public because advice inlined into other packages calls it.
 */
public final class Dispatcher {

  private static final SocketHooks NO_OP = new NoOpHooks();

  private static volatile SocketHooks hooks = NO_OP;

  /** Per-thread "inside the agent" flag; an array so that reading and writing it allocates nothing. */
  private static final ThreadLocal<boolean[]> INSIDE = new InsideFlag();

  private Dispatcher() {}

  /** Installs the agent's hooks; returns false if hooks were installed already (attach-once guard). */
  public static synchronized boolean install(SocketHooks delegate) {
    if (delegate == null) {
      throw new NullPointerException("delegate");
    }
    if (hooks != NO_OP) {
      return false;
    }
    hooks = delegate;
    return true;
  }

  /** Restores the no-op delegate. Advice already inlined keeps calling in, and returns at once. */
  public static synchronized void reset() {
    hooks = NO_OP;
  }

  /** The hooks in force, or null when none are installed. */
  public static SocketHooks installed() {
    SocketHooks current = hooks;
    return current == NO_OP ? null : current;
  }

  /**
   * Marks the current thread as one of the agent's own: hooks are skipped on it for good. Called first
   * thing by every thread the agent starts.
   */
  public static void markAgentThread() {
    INSIDE.get()[0] = true;
  }

  /**
   * Runs {@code task} on the current thread with hooks skipped, so the agent's own socket work (probes,
   * reading its own state) never re-enters.
   */
  public static void runUnhooked(Runnable task) {
    boolean[] inside = INSIDE.get();
    boolean was = inside[0];
    inside[0] = true;
    try {
      task.run();
    } finally {
      inside[0] = was;
    }
  }

  public static void beforeSocketBind(
      Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server) {
    SocketHooks current = hooks;
    if (current == NO_OP) {
      return;
    }
    boolean[] inside = INSIDE.get();
    if (inside[0]) {
      return;
    }
    inside[0] = true;
    try {
      current.beforeSocketBind(socketImpl, fd, address, port, server);
    } catch (Throwable t) {
      reportSafely(current, "beforeSocketBind", t);
    } finally {
      inside[0] = false;
    }
  }

  public static void beforeChannelBind(
      Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {
    SocketHooks current = hooks;
    if (current == NO_OP) {
      return;
    }
    boolean[] inside = INSIDE.get();
    if (inside[0]) {
      return;
    }
    inside[0] = true;
    try {
      current.beforeChannelBind(channel, fd, local, boundAlready);
    } catch (Throwable t) {
      reportSafely(current, "beforeChannelBind", t);
    } finally {
      inside[0] = false;
    }
  }

  public static void afterBindFailure(int api, Object socket, Object local, Throwable thrown) {
    SocketHooks current = hooks;
    if (current == NO_OP) {
      return;
    }
    boolean[] inside = INSIDE.get();
    if (inside[0]) {
      return;
    }
    inside[0] = true;
    try {
      current.afterBindFailure(api, socket, local, thrown);
    } catch (Throwable t) {
      reportSafely(current, "afterBindFailure", t);
    } finally {
      inside[0] = false;
    }
  }

  /** A socket implementation's bind threw; the address is built only when hooks are installed. */
  public static void afterSocketBindFailure(
      Object socketImpl, InetAddress address, int port, Throwable thrown) {
    if (hooks == NO_OP) {
      return;
    }
    Object local;
    try {
      local = new InetSocketAddress(address, port);
    } catch (IllegalArgumentException badPort) {
      local = String.valueOf(address) + ":" + port;
    }
    afterBindFailure(SocketHooks.API_SOCKET, socketImpl, local, thrown);
  }

  /** A socket implementation's connect returned or threw; {@code localPort} is its port afterwards. */
  public static void afterSocketConnect(
      Object socketImpl, Object remote, int localPort, Throwable thrown) {
    if (hooks == NO_OP) {
      return;
    }
    afterConnect(
        SocketHooks.API_SOCKET, socketImpl, remote, Integer.valueOf(localPort), true, thrown);
  }

  public static void afterConnect(
      int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {
    SocketHooks current = hooks;
    if (current == NO_OP) {
      return;
    }
    boolean[] inside = INSIDE.get();
    if (inside[0]) {
      return;
    }
    inside[0] = true;
    try {
      current.afterConnect(api, socket, remote, local, completed, thrown);
    } catch (Throwable t) {
      reportSafely(current, "afterConnect", t);
    } finally {
      inside[0] = false;
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
    @Override
    protected boolean[] initialValue() {
      return new boolean[1];
    }
  }

  private static final class NoOpHooks implements SocketHooks {
    @Override
    public void beforeSocketBind(
        Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server) {}

    @Override
    public void beforeChannelBind(
        Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {}

    @Override
    public void afterBindFailure(int api, Object socket, Object local, Throwable thrown) {}

    @Override
    public void afterConnect(
        int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {}

    @Override
    public void onInternalError(String where, Throwable error) {}
  }
}
