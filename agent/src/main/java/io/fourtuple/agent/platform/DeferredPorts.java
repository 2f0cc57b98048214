package io.fourtuple.agent.platform;

import java.io.FileDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;

/**
 * Gives a socket whose port choice the agent deferred its port now, because the application is
 * about to read it: the JDK would have had one since {@code bind}, and code that reads it (a log
 * line, the "free port" idiom, a protocol that announces its source port) must see what it would
 * see without the agent.
 *
 * <p>Kernel fact relied on: after {@code bind(ip, 0)} with {@code IP_BIND_ADDRESS_NO_PORT} the
 * socket holds no port ({@code inet_num} is 0) and the kernel accepts a second {@code bind}: with
 * the option cleared, binding again to the same address and port 0 picks a port, exactly as the
 * application's own bind would have. The socket is then an ordinary bound socket; its connect keeps
 * that port.
 *
 * <p>How: for the four JDK socket classes that bind (the two socket implementations, the socket
 * channel, the asynchronous socket channel), under the lock with which the JDK itself excludes a
 * close and a connect, it checks the JDK's own state (open, not connecting, not connected, cached
 * port 0), asks the kernel whether the option is on (only the agent sets it on a JDK socket), then
 * clears it, binds through the same {@code sun.nio.ch.Net.bind} the JDK's bind used, and stores the
 * kernel's answer in the JDK's cached local address. Anything else (another class, a closed or
 * connected socket, a socket the agent did not defer) is left untouched. Reflection is resolved
 * once per class and only at the first read that needs it, never at startup.
 *
 * <p>Hazards: runs on the application's thread inside a JDK getter, taking the JDK's socket lock (a
 * monitor the getter's own thread may already hold: monitors are re-entrant); it does two or three
 * system calls and no I/O beyond them, and never throws.
 */
public final class DeferredPorts {

  /** What {@link #assignPort} did. */
  public enum Outcome {
    /** The socket has its port now; the JDK's cached address says so. */
    ASSIGNED,
    /**
     * Not a socket the agent deferred, or no longer one (connected, connecting, closed, given its
     * port already): nothing done.
     */
    NOT_DEFERRED,
    /**
     * The kernel had no port to give (the range is used up: the JDK's own bind would have failed
     * with EADDRINUSE). The socket stays deferred, so its connect can still share ports.
     */
    NO_PORT_LEFT,
    /** The JDK's classes are not shaped as expected here, or a call failed: nothing done. */
    FAILED
  }

  private DeferredPorts() {}

  /**
   * Netty's channels that cache their local address in {@code local} (epoll, io_uring 4.2, 4.1).
   */
  private static final String[] NETTY_CHANNELS = {
    "io.netty.channel.epoll.AbstractEpollChannel",
    "io.netty.channel.uring.AbstractIoUringChannel",
    "io.netty.incubator.channel.uring.AbstractIOUringChannel"
  };

  private static final ClassValue<Shape> SHAPES =
      new ClassValue<Shape>() {
        @Override
        protected Shape computeValue(Class<?> type) {
          try {
            return Shape.of(type);
          } catch (Throwable t) {
            return new Shape.Unknown(type.getName() + ": " + t);
          }
        }
      };

  /** The last failure, for {@code status} and the error report; null while there was none. */
  private static volatile Throwable lastFailure;

  /**
   * If {@code socket} is a JDK socket whose port the agent deferred and that is still bound, open
   * and unconnected, gives it its port and refreshes the JDK's cached local address.
   */
  public static Outcome assignPort(Object socket) {
    try {
      return SHAPES.get(socket.getClass()).assign(socket);
    } catch (java.net.BindException rangeUsedUp) {
      lastFailure = rangeUsedUp;
      return Outcome.NO_PORT_LEFT;
    } catch (Throwable t) {
      lastFailure = t;
      return Outcome.FAILED;
    }
  }

  /** Why the last {@link Outcome#FAILED} or {@link Outcome#NO_PORT_LEFT} happened, or null. */
  public static Throwable lastFailure() {
    return lastFailure;
  }

  /** One JDK socket class: where its lock, state, descriptor and cached local address live. */
  private abstract static class Shape {
    /** The JDK's lock(s) that exclude bind, connect and close of this socket. */
    abstract Outcome assign(Object socket) throws Exception;

    static Shape of(Class<?> type) throws Exception {
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        String name = c.getName();
        if (name.equals("sun.nio.ch.NioSocketImpl")) {
          return new ForNioSocketImpl(c);
        }
        if (name.equals("java.net.AbstractPlainSocketImpl")) {
          return new ForPlainSocketImpl(c);
        }
        if (name.equals("sun.nio.ch.SocketChannelImpl")
            || name.equals("sun.nio.ch.AsynchronousSocketChannelImpl")) {
          return new ForChannel(c);
        }
        for (String netty : NETTY_CHANNELS) {
          if (NettySockets.nameIs(c, netty) && NettySockets.isTcpClientClass(type)) {
            return new ForNetty(c);
          }
        }
      }
      return new Unknown(type.getName() + " is not a JDK socket class the agent defers");
    }

    /** Clears the option, binds again to the bound address with port 0; returns the new port. */
    static InetSocketAddress rebind(FileDescriptor fd, ProtocolFamily family) throws Exception {
      InetSocketAddress bound = Net.localAddress(fd);
      if (bound.getPort() != 0) {
        return bound; // the kernel has given it a port already
      }
      Net.setNoPort(fd, 0);
      try {
        Net.bind(family, fd, bound.getAddress());
      } catch (java.io.IOException noPort) {
        // Put the deferral back: the connect can still share ports across destinations.
        Net.setNoPort(fd, 1);
        throw noPort;
      }
      return Net.localAddress(fd);
    }

    /** Whether the kernel says the option is on: only the agent sets it on a JDK socket. */
    static boolean deferred(FileDescriptor fd) throws Exception {
      return fd != null && fd.valid() && Net.noPort(fd) == 1;
    }

    static Field field(Class<?> c, String name) throws NoSuchFieldException {
      Field f = c.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    }

    /** The field, or null where this version of the class has none. */
    static Field optionalField(Class<?> c, String name) {
      try {
        return field(c, name);
      } catch (NoSuchFieldException absent) {
        return null;
      }
    }

    static int constant(Class<?> c, String name) throws Exception {
      Field f = field(c, name);
      if (!Modifier.isStatic(f.getModifiers())) {
        throw new NoSuchFieldException(c.getName() + "." + name + " is not static");
      }
      return f.getInt(null);
    }

    static final class Unknown extends Shape {
      private final String why;

      Unknown(String why) {
        this.why = why;
      }

      @Override
      Outcome assign(Object socket) {
        return Outcome.NOT_DEFERRED;
      }

      @Override
      public String toString() {
        return why;
      }
    }
  }

  /** Fields of {@code java.net.SocketImpl} that both socket implementations use. */
  private abstract static class ForSocketImpl extends Shape {
    final Field fd;
    final Field localport;

    ForSocketImpl() throws Exception {
      Class<?> base = Class.forName("java.net.SocketImpl");
      fd = field(base, "fd");
      localport = field(base, "localport");
    }

    /** With the JDK's lock(s) held: the JDK's state says open and not connected. */
    abstract boolean unconnected(Object impl) throws Exception;

    final Outcome assignLocked(Object impl) throws Exception {
      if (localport.getInt(impl) != 0 || !unconnected(impl)) {
        return Outcome.NOT_DEFERRED;
      }
      FileDescriptor descriptor = (FileDescriptor) fd.get(impl);
      if (!deferred(descriptor)) {
        return Outcome.NOT_DEFERRED;
      }
      localport.setInt(impl, rebind(descriptor, null).getPort());
      return Outcome.ASSIGNED;
    }
  }

  /** {@code sun.nio.ch.NioSocketImpl} (JDK 13+): {@code stateLock}, {@code state}. */
  private static final class ForNioSocketImpl extends ForSocketImpl {
    private final Field stateLock;
    private final Field state;
    private final int unconnected;

    ForNioSocketImpl(Class<?> c) throws Exception {
      stateLock = field(c, "stateLock");
      state = field(c, "state");
      unconnected = constant(c, "ST_UNCONNECTED");
    }

    @Override
    Outcome assign(Object impl) throws Exception {
      synchronized (stateLock.get(impl)) {
        return assignLocked(impl);
      }
    }

    @Override
    boolean unconnected(Object impl) throws Exception {
      return state.getInt(impl) == unconnected;
    }
  }

  /**
   * {@code java.net.AbstractPlainSocketImpl} (JDK 8–12, and 13–17 with {@code
   * jdk.net.usePlainSocketImpl}): {@code bind} and the connect are synchronized on the
   * implementation, close on {@code fdLock}; the remote {@code port} is set once connected.
   */
  private static final class ForPlainSocketImpl extends ForSocketImpl {
    private final Field fdLock;
    private final Field closePending;
    private final Field port;

    ForPlainSocketImpl(Class<?> c) throws Exception {
      fdLock = field(c, "fdLock");
      closePending = field(c, "closePending");
      port = field(Class.forName("java.net.SocketImpl"), "port");
    }

    @Override
    Outcome assign(Object impl) throws Exception {
      synchronized (impl) {
        synchronized (fdLock.get(impl)) {
          return assignLocked(impl);
        }
      }
    }

    @Override
    boolean unconnected(Object impl) throws Exception {
      return !closePending.getBoolean(impl) && port.getInt(impl) == 0;
    }
  }

  /**
   * {@code sun.nio.ch.SocketChannelImpl} and {@code AsynchronousSocketChannelImpl}: {@code
   * stateLock}, {@code state}, {@code fd}, {@code localAddress}; the socket channel of JDK 16+ also
   * a {@code family}, which its bind passes to {@code Net.bind}.
   */
  private static final class ForChannel extends Shape {
    private final Field stateLock;
    private final Field state;
    private final int unconnected;
    private final Field fd;
    private final Field localAddress;
    private final Field family;
    private final Method isOpen;

    ForChannel(Class<?> c) throws Exception {
      stateLock = field(c, "stateLock");
      state = field(c, "state");
      unconnected = constant(c, "ST_UNCONNECTED");
      fd = field(c, "fd");
      localAddress = field(c, "localAddress");
      family = optionalField(c, "family"); // none before JDK 16
      isOpen = java.nio.channels.Channel.class.getMethod("isOpen");
    }

    @Override
    Outcome assign(Object channel) throws Exception {
      synchronized (stateLock.get(channel)) {
        Object local = localAddress.get(channel);
        if (!(local instanceof InetSocketAddress)
            || ((InetSocketAddress) local).getPort() != 0
            || state.getInt(channel) != unconnected
            || !((Boolean) isOpen.invoke(channel)).booleanValue()) {
          return Outcome.NOT_DEFERRED;
        }
        FileDescriptor descriptor = (FileDescriptor) fd.get(channel);
        if (!deferred(descriptor)) {
          return Outcome.NOT_DEFERRED;
        }
        ProtocolFamily f = family == null ? null : (ProtocolFamily) family.get(channel);
        localAddress.set(channel, rebind(descriptor, f));
        return Outcome.ASSIGNED;
      }
    }
  }

  /**
   * A Netty epoll or io_uring TCP client channel ({@code AbstractEpollChannel}, {@code
   * AbstractIoUringChannel}, {@code AbstractIOUringChannel}, relocated copies too): its {@code
   * socket} (a Netty {@code LinuxSocket}) and the {@code local} address it caches, which {@code
   * localAddress0()} returns. Netty confines a channel to its event loop and takes no lock, so the
   * channel's monitor only keeps two application threads from racing here; a connect that the event
   * loop runs at the same moment wins in the kernel (the second bind then fails with EINVAL and
   * nothing is changed). Open, not connected ({@code isActive()}) and no pending connect ({@code
   * connectPromise}) are checked first. The socket may be IPv4-only or IPv6: the bind uses the
   * family the kernel reports for it ({@code SO_DOMAIN}).
   */
  private static final class ForNetty extends Shape {
    private final Field socket;
    private final Field local;
    private final Field connectPromise;
    private final Method isOpen;
    private final Method isActive;

    ForNetty(Class<?> c) throws Exception {
      socket = field(c, "socket");
      local = field(c, "local");
      connectPromise = optionalField(c, "connectPromise"); // none in other shapes
      isOpen = c.getMethod("isOpen");
      isActive = c.getMethod("isActive");
      // The channel classes are package-private: its public methods need this to be called here.
      isOpen.setAccessible(true);
      isActive.setAccessible(true);
    }

    @Override
    Outcome assign(Object channel) throws Exception {
      synchronized (channel) {
        Object cached = local.get(channel);
        if (!(cached instanceof InetSocketAddress)
            || ((InetSocketAddress) cached).getPort() != 0
            || !((Boolean) isOpen.invoke(channel)).booleanValue()
            || ((Boolean) isActive.invoke(channel)).booleanValue()
            || (connectPromise != null && connectPromise.get(channel) != null)) {
          return Outcome.NOT_DEFERRED;
        }
        FileDescriptor descriptor = NettySockets.descriptor(socket.get(channel));
        if (!deferred(descriptor)) {
          return Outcome.NOT_DEFERRED;
        }
        local.set(channel, rebind(descriptor, Net.family(descriptor)));
        return Outcome.ASSIGNED;
      }
    }
  }

  /**
   * The JDK's own native socket calls in {@code sun.nio.ch.Net}, same signatures on JDK 8 to 25
   * ({@code sun.nio.ch} is opened to the agent at start). Resolved when first used.
   */
  private static final class Net {
    private static final int IPPROTO_IP = SocketOptions.IPPROTO_IP;
    private static final int NO_PORT = SocketOptions.IP_BIND_ADDRESS_NO_PORT;
    private static final int SOL_SOCKET = 1;
    private static final int SO_DOMAIN = 39;
    private static final int AF_INET = 2;
    private static final Method SET_INT;
    private static final Method GET_INT;
    private static final Method BIND;
    private static final Method BIND_FAMILY;
    private static final Method LOCAL_ADDRESS;

    static {
      try {
        Class<?> net = Class.forName("sun.nio.ch.Net", true, null);
        SET_INT = SocketOptions.ForJdkNet.setIntOption0();
        GET_INT =
            method(net, "getIntOption0", FileDescriptor.class, boolean.class, int.class, int.class);
        BIND = method(net, "bind", FileDescriptor.class, InetAddress.class, int.class);
        BIND_FAMILY =
            method(
                net,
                "bind",
                ProtocolFamily.class,
                FileDescriptor.class,
                InetAddress.class,
                int.class);
        LOCAL_ADDRESS = method(net, "localAddress", FileDescriptor.class);
      } catch (Exception e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private static Method method(Class<?> c, String name, Class<?>... parameters)
        throws NoSuchMethodException {
      Method m = c.getDeclaredMethod(name, parameters);
      m.setAccessible(true);
      return m;
    }

    static int noPort(FileDescriptor fd) throws Exception {
      return ((Integer) call(GET_INT, fd, false, IPPROTO_IP, NO_PORT)).intValue();
    }

    static void setNoPort(FileDescriptor fd, int value) throws Exception {
      call(SET_INT, fd, false, IPPROTO_IP, NO_PORT, value, false);
    }

    /** Binds as the JDK's own bind of that socket did: with its family where it has one. */
    static void bind(ProtocolFamily family, FileDescriptor fd, InetAddress address)
        throws Exception {
      if (family == null) {
        call(BIND, fd, address, 0);
      } else {
        call(BIND_FAMILY, family, fd, address, 0);
      }
    }

    /** The socket's address family as the kernel has it ({@code SO_DOMAIN}). */
    static ProtocolFamily family(FileDescriptor fd) throws Exception {
      int domain = ((Integer) call(GET_INT, fd, false, SOL_SOCKET, SO_DOMAIN)).intValue();
      return domain == AF_INET ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    static InetSocketAddress localAddress(FileDescriptor fd) throws Exception {
      return (InetSocketAddress) call(LOCAL_ADDRESS, fd);
    }

    /** Invokes a static method, rethrowing what it threw rather than its wrapper. */
    private static Object call(Method m, Object... arguments) throws Exception {
      try {
        return m.invoke(null, arguments);
      } catch (java.lang.reflect.InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception) {
          throw (Exception) cause;
        }
        throw e;
      }
    }
  }
}
