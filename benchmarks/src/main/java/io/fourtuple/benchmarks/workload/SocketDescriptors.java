package io.fourtuple.benchmarks.workload;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketImpl;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The file descriptor inside a JDK socket object, read through the JDK's private fields: {@code
 * Socket.impl} (→ {@code DelegatingSocketImpl.delegate} on JDK 13+, where it wraps the NIO
 * implementation) → {@code SocketImpl.fd}; {@code SocketChannelImpl.fd}; {@code
 * AsynchronousSocketChannelImpl.fd}. The workloads hand it to the JDK's own natives in {@code
 * sun.nio.ch.Net}, as the agent does, to set an option ({@link AppSetNoPort}) or to ask the kernel
 * for the local port ({@link KernelView}).
 *
 * <p>Each type's method handles sit in a class of their own, initialized at its first use and held
 * in static finals typed exactly for {@code invokeExact}: the JIT turns a read into plain field
 * loads, and a program that uses only {@code Socket} loads nothing of the channels' classes. Needs
 * {@code --add-opens java.base/java.net=ALL-UNNAMED} (and {@code sun.nio.ch} for the channels) on
 * JDK 9+.
 */
final class SocketDescriptors {
  private SocketDescriptors() {}

  static FileDescriptor of(Socket socket) throws Throwable {
    SocketImpl impl = (SocketImpl) ForSocket.IMPL.invokeExact(socket);
    if (ForSocket.DELEGATING != null && ForSocket.DELEGATING.isInstance(impl)) {
      impl = (SocketImpl) ForSocket.DELEGATE.invokeExact(impl);
    }
    return (FileDescriptor) ForSocket.FD.invokeExact(impl);
  }

  static FileDescriptor of(SocketChannel channel) throws Throwable {
    return (FileDescriptor) ForChannel.FD.invokeExact(channel);
  }

  static FileDescriptor of(AsynchronousSocketChannel channel) throws Throwable {
    return (FileDescriptor) ForAsyncChannel.FD.invokeExact(channel);
  }

  /**
   * The same walk as {@link #of(Socket)} with core reflection and nothing resolved ahead: for a
   * program that reads one descriptor once, where setting up {@code java.lang.invoke} would cost
   * more than the read (milliseconds, on a JVM that has not used it yet).
   */
  static FileDescriptor reflectively(Socket socket) throws ReflectiveOperationException {
    Object impl = accessible(Socket.class.getDeclaredField("impl")).get(socket);
    Class<?> delegating = delegatingSocketImpl();
    if (delegating != null && delegating.isInstance(impl)) {
      impl = accessible(delegating.getDeclaredField("delegate")).get(impl);
    }
    return (FileDescriptor) accessible(SocketImpl.class.getDeclaredField("fd")).get(impl);
  }

  /** {@code java.net.DelegatingSocketImpl} on JDK 13+; null before, where no impl wraps another. */
  private static Class<?> delegatingSocketImpl() {
    try {
      return Class.forName("java.net.DelegatingSocketImpl");
    } catch (ClassNotFoundException beforeJdk13) {
      return null;
    }
  }

  static <T extends AccessibleObject> T accessible(T member) {
    member.setAccessible(true);
    return member;
  }

  /**
   * A getter for {@code owner.name}, adapted to take {@code as} and return what the field holds.
   */
  private static MethodHandle getter(Class<?> owner, String name, Class<?> as)
      throws ReflectiveOperationException {
    Field field = accessible(owner.getDeclaredField(name));
    MethodHandle get = MethodHandles.lookup().unreflectGetter(field);
    return get.asType(MethodType.methodType(field.getType(), as));
  }

  private static final class ForSocket {
    static final MethodHandle IMPL;
    static final Class<?> DELEGATING; // null before JDK 13
    static final MethodHandle DELEGATE;
    static final MethodHandle FD;

    static {
      try {
        IMPL = getter(Socket.class, "impl", Socket.class);
        DELEGATING = delegatingSocketImpl();
        DELEGATE = DELEGATING == null ? null : getter(DELEGATING, "delegate", SocketImpl.class);
        FD = getter(SocketImpl.class, "fd", SocketImpl.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  private static final class ForChannel {
    static final MethodHandle FD;

    static {
      try {
        FD = getter(Class.forName("sun.nio.ch.SocketChannelImpl"), "fd", SocketChannel.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  private static final class ForAsyncChannel {
    static final MethodHandle FD;

    static {
      try {
        FD =
            getter(
                Class.forName("sun.nio.ch.AsynchronousSocketChannelImpl"),
                "fd",
                AsynchronousSocketChannel.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }
}
