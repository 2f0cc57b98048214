package io.fourtuple.agent.platform;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * What the agent reads from the application's Netty epoll and io_uring objects: the descriptor of a
 * Netty socket as a {@code java.io.FileDescriptor} (so {@link SocketOptions} sets the option the
 * same way for every Netty version), whether a channel is a TCP client, and a channel's addresses.
 * The agent is compiled against no Netty: everything goes through reflection, resolved once per
 * class ({@link ClassValue}, so the copies of several class loaders and relocated copies each get
 * their own), never from woven code.
 *
 * <p>Hazards:
 *
 * <ul>
 *   <li>Called on the application's event loop, inside Netty's {@code doBind} / {@code doConnect}:
 *       the calls here are a reflective getter, a {@code getsockname}-free field read, and {@code
 *       sun.nio.ch.IOUtil.newFD(int)} (JDK 8 to 25), which wraps the int without registering a
 *       cleaner, so the wrapper never closes Netty's descriptor.
 *   <li>Netty in a named module that does not open its packages: the private field reads fail and
 *       return null; only the failed-finish-connect destination is lost.
 *   <li>Everything returns null or false on any failure; nothing here throws.
 * </ul>
 */
public final class NettySockets {
  private static final String STREAM_CHANNEL = "io.netty.channel.epoll.AbstractEpollStreamChannel";
  private static final String DOMAIN_CHANNEL = "io.netty.channel.epoll.EpollDomainSocketChannel";

  /**
   * io_uring's TCP clients: its domain socket channel shares their stream superclass, so the client
   * class itself is matched (Netty 4.2, and the 4.1 incubator).
   */
  private static final String[] IO_URING_CLIENTS = {
    "io.netty.channel.uring.IoUringSocketChannel",
    "io.netty.incubator.channel.uring.IOUringSocketChannel"
  };

  /** The package of io_uring's classes, in Netty 4.2 and in the incubator, relocated or not. */
  private static final String IO_URING_PACKAGE = ".channel.uring.";

  private static volatile MethodHandle newFd;

  /** Set once {@link #prepare} has run; {@link #problem} is then its outcome. */
  private static volatile boolean prepared;

  private static volatile String problem;

  private static final ClassValue<Method> INT_VALUE =
      new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
          return publicMethod(type, "intValue");
        }
      };

  private static final ClassValue<Method> IS_OPEN =
      new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
          return publicMethod(type, "isOpen");
        }
      };

  private static final ClassValue<Method> LOCAL_ADDRESS =
      new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
          return publicMethod(type, "localAddress");
        }
      };

  private static final ClassValue<Method> REMOTE_ADDRESS =
      new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
          return publicMethod(type, "remoteAddress");
        }
      };

  private static final ClassValue<Field> REQUESTED_REMOTE =
      new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
          return field(type, "requestedRemoteAddress");
        }
      };

  private static final ClassValue<Field> SOCKET =
      new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
          return field(type, "socket");
        }
      };

  private static final ClassValue<Boolean> TCP_CLIENT =
      new ClassValue<Boolean>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
          if (nameIs(type, DOMAIN_CHANNEL)) {
            return Boolean.FALSE;
          }
          for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (nameIs(c, STREAM_CHANNEL)
                || nameIs(c, IO_URING_CLIENTS[0])
                || nameIs(c, IO_URING_CLIENTS[1])) {
              return Boolean.TRUE;
            }
          }
          return Boolean.FALSE;
        }
      };

  private NettySockets() {}

  /**
   * Resolves {@code sun.nio.ch.IOUtil.newFD(int)}, once. The agent's {@code fourtuple-start} thread
   * calls it right after {@code premain}, so a program that never uses Netty's epoll channels does
   * not pay for it on the way to {@code main} (13 classes, the JDK's {@code net} and {@code nio}
   * libraries); a descriptor wrapped before that thread got there (a Netty bind in the first
   * milliseconds of the JVM) resolves it first, on the application's thread, where the hook takes
   * no JDK lock. On JDK 9+ {@code sun.nio.ch} must be open to the agent (the installer opens it).
   * Never throws.
   *
   * @return null when ready, or why descriptors cannot be wrapped (the rewrite then skips Netty)
   */
  public static synchronized String prepare() {
    if (!prepared) {
      try {
        Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil", true, null);
        Method m = ioUtil.getDeclaredMethod("newFD", int.class);
        m.setAccessible(true);
        newFd = MethodHandles.lookup().unreflect(m);
      } catch (Throwable t) {
        problem = "sun.nio.ch.IOUtil.newFD(int) is not usable on this JDK (" + t + ")";
      }
      prepared = true;
    }
    return problem;
  }

  /**
   * Whether {@code channel} is a Netty epoll TCP stream channel or io_uring TCP client channel (not
   * server, datagram or domain).
   */
  public static boolean isTcpClient(Object channel) {
    try {
      return channel != null && TCP_CLIENT.get(channel.getClass()).booleanValue();
    } catch (Throwable t) {
      return false;
    }
  }

  /** Whether {@code nettySocket} belongs to Netty's io_uring transport (4.2 or the incubator). */
  public static boolean isIoUring(Object nettySocket) {
    return nettySocket != null && nettySocket.getClass().getName().contains(IO_URING_PACKAGE);
  }

  /** {@link #isTcpClient} for a channel's class. */
  static boolean isTcpClientClass(Class<?> type) {
    try {
      return TCP_CLIENT.get(type).booleanValue();
    } catch (Throwable t) {
      return false;
    }
  }

  /** The descriptor of a Netty {@code unix.FileDescriptor}, wrapped; null if it cannot be read. */
  public static FileDescriptor descriptor(Object nettySocket) {
    if (nettySocket == null) {
      return null;
    }
    MethodHandle wrap = newFd;
    if (wrap == null) {
      if (prepared || prepare() != null) {
        return null;
      }
      wrap = newFd;
    }
    try {
      Method intValue = INT_VALUE.get(nettySocket.getClass());
      if (intValue == null) {
        return null;
      }
      Method isOpen = IS_OPEN.get(nettySocket.getClass());
      if (isOpen != null && !((Boolean) isOpen.invoke(nettySocket)).booleanValue()) {
        return null; // closed: its number may belong to another socket by now
      }
      int fd = ((Integer) intValue.invoke(nettySocket)).intValue();
      if (fd < 0) {
        return null; // closed: Netty stores a negative value
      }
      return (FileDescriptor) wrap.invoke(fd);
    } catch (Throwable t) {
      return null;
    }
  }

  /** {@code channel.localAddress()}: a public Netty method (the value of the channel's field). */
  public static Object localAddress(Object channel) {
    return call(LOCAL_ADDRESS, channel);
  }

  /** {@code channel.remoteAddress()}: set once a connect completed. */
  public static Object remoteAddress(Object channel) {
    return call(REMOTE_ADDRESS, channel);
  }

  /** A channel's {@code LinuxSocket} (its field {@code socket}), or null. */
  public static Object socket(Object channel) {
    if (channel == null) {
      return null;
    }
    try {
      Field f = SOCKET.get(channel.getClass());
      return f == null ? null : f.get(channel);
    } catch (Throwable t) {
      return null;
    }
  }

  /** Where a pending connect was going (Netty keeps it in a private field until it completes). */
  public static Object requestedRemoteAddress(Object channel) {
    if (channel == null) {
      return null;
    }
    try {
      Field f = REQUESTED_REMOTE.get(channel.getClass());
      return f == null ? null : f.get(channel);
    } catch (Throwable t) {
      return null;
    }
  }

  private static Object call(ClassValue<Method> method, Object target) {
    if (target == null) {
      return null;
    }
    try {
      Method m = method.get(target.getClass());
      return m == null ? null : m.invoke(target);
    } catch (Throwable t) {
      return null;
    }
  }

  /** True for the class named {@code name} and for its relocated copies ({@code x.y.name}). */
  static boolean nameIs(Class<?> type, String name) {
    String actual = type.getName();
    int start = actual.length() - name.length();
    return actual.endsWith(name) && (start == 0 || actual.charAt(start - 1) == '.');
  }

  private static Method publicMethod(Class<?> type, String name) {
    try {
      Method m = type.getMethod(name);
      try {
        m.setAccessible(true); // LinuxSocket is package-private; the method's class may not be
      } catch (RuntimeException notOpen) {
        // A public method of a public class stays callable without it.
      }
      return m;
    } catch (Throwable t) {
      return null;
    }
  }

  private static Field field(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException next) {
        // look in the superclass
      } catch (Throwable t) {
        return null;
      }
    }
    return null;
  }
}
