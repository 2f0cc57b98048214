package io.fourtuple.benchmarks.workload;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * What an application does when it sets {@code IP_BIND_ADDRESS_NO_PORT} itself, without the agent:
 * find the socket's descriptor through JDK internals ({@link SocketDescriptors}) and call the JDK's
 * own {@code sun.nio.ch.Net.setIntOption0(fd, false, IPPROTO_IP=0, IP_BIND_ADDRESS_NO_PORT=24, 1,
 * false)} — the same native call the agent makes. This is the reference the agent's enforce mode is
 * measured against.
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

  static {
    try {
      SET_INT_OPTION =
          MethodHandles.lookup()
              .unreflect(
                  SocketDescriptors.accessible(
                      Class.forName("sun.nio.ch.Net")
                          .getDeclaredMethod(
                              "setIntOption0",
                              FileDescriptor.class,
                              boolean.class,
                              int.class,
                              int.class,
                              int.class,
                              boolean.class)));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private AppSetNoPort() {}

  /**
   * Sets the option on a {@code Socket} whose descriptor exists already (any option set on it, such
   * as {@code SO_LINGER}, creates it).
   */
  static void apply(Socket socket) throws Throwable {
    set(SocketDescriptors.of(socket));
  }

  static void apply(SocketChannel channel) throws Throwable {
    set(SocketDescriptors.of(channel));
  }

  static void apply(AsynchronousSocketChannel channel) throws Throwable {
    set(SocketDescriptors.of(channel));
  }

  private static void set(FileDescriptor fd) throws Throwable {
    SET_INT_OPTION.invokeExact(fd, false, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, false);
  }
}
