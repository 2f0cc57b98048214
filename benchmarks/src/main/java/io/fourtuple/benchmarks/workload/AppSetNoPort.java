package io.fourtuple.benchmarks.workload;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.SocketImpl;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * What an application does when it sets {@code IP_BIND_ADDRESS_NO_PORT} itself, without the agent:
 * find the socket's descriptor through JDK internals and call the JDK's own {@code
 * sun.nio.ch.Net.setIntOption0(fd, false, IPPROTO_IP=0, IP_BIND_ADDRESS_NO_PORT=24, 1, false)} —
 * the same native call the agent makes. This is the reference the agent's enforce mode is measured
 * against.
 *
 * <p>Every handle is resolved once and held in a static final field, so the JIT treats the
 * per-socket work as direct field reads plus one native call; the reflection cost is paid at class
 * initialization only. Needs {@code --add-opens java.base/java.net=ALL-UNNAMED --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED} on JDK 9+ (the harness passes them to every configuration, so
 * all four run with the same flags).
 */
final class AppSetNoPort {
  private static final int IPPROTO_IP = 0;
  private static final int IP_BIND_ADDRESS_NO_PORT = 24;

  private static final MethodHandle SET_INT_OPTION;
  private static final MethodHandle SOCKET_IMPL;

  /**
   * {@code DelegatingSocketImpl} and its {@code delegate} on JDK 13+, where Socket.impl wraps the
   * NIO one.
   */
  private static final Class<?> DELEGATING;

  private static final MethodHandle DELEGATE;

  private static final MethodHandle IMPL_FD;
  private static final MethodHandle CHANNEL_FD;
  private static final MethodHandle ASYNC_CHANNEL_FD;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      Method set =
          Class.forName("sun.nio.ch.Net")
              .getDeclaredMethod(
                  "setIntOption0",
                  FileDescriptor.class,
                  boolean.class,
                  int.class,
                  int.class,
                  int.class,
                  boolean.class);
      set.setAccessible(true);
      SET_INT_OPTION = lookup.unreflect(set);
      SOCKET_IMPL = lookup.unreflectGetter(accessible(Socket.class.getDeclaredField("impl")));
      Class<?> delegating = null;
      MethodHandle delegate = null;
      try {
        delegating = Class.forName("java.net.DelegatingSocketImpl");
        delegate = lookup.unreflectGetter(accessible(delegating.getDeclaredField("delegate")));
      } catch (ClassNotFoundException beforeJdk13) {
        // JDK 8-12: Socket.impl is itself the platform implementation.
      }
      DELEGATING = delegating;
      DELEGATE = delegate;
      IMPL_FD = lookup.unreflectGetter(accessible(SocketImpl.class.getDeclaredField("fd")));
      CHANNEL_FD =
          lookup.unreflectGetter(
              accessible(Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredField("fd")));
      ASYNC_CHANNEL_FD =
          lookup.unreflectGetter(
              accessible(
                  Class.forName("sun.nio.ch.AsynchronousSocketChannelImpl")
                      .getDeclaredField("fd")));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private AppSetNoPort() {}

  private static Field accessible(Field f) {
    f.setAccessible(true);
    return f;
  }

  /**
   * Sets the option on a {@code Socket} whose descriptor exists already (any option set on it, such
   * as {@code SO_LINGER}, creates it).
   */
  static void apply(Socket socket) throws Throwable {
    SocketImpl impl = (SocketImpl) SOCKET_IMPL.invokeExact(socket);
    if (DELEGATING != null && DELEGATING.isInstance(impl)) {
      impl = (SocketImpl) DELEGATE.invoke(impl);
    }
    FileDescriptor fd = (FileDescriptor) IMPL_FD.invokeExact(impl);
    set(fd);
  }

  static void apply(SocketChannel channel) throws Throwable {
    set((FileDescriptor) CHANNEL_FD.invoke(channel));
  }

  static void apply(AsynchronousSocketChannel channel) throws Throwable {
    set((FileDescriptor) ASYNC_CHANNEL_FD.invoke(channel));
  }

  private static void set(FileDescriptor fd) throws Throwable {
    SET_INT_OPTION.invokeExact(fd, false, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, false);
  }
}
