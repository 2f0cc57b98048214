package io.fourtuple.benchmarks.workload;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The kernel's own view of a socket's local port: {@code getsockname(2)} on its descriptor, through
 * the JDK's native {@code sun.nio.ch.Net.localPort(FileDescriptor)} (JDK 8-25). This is how the
 * benchmarks prove that {@code IP_BIND_ADDRESS_NO_PORT} was in force for a socket: read between
 * {@code bind(ip, 0)} and {@code connect}, it is 0 when the kernel deferred the port choice to
 * {@code connect} and a real port when {@code bind} took one.
 *
 * <p>Why not the application's own getters ({@code Socket.getLocalPort}, {@code getLocalAddress} of
 * the channels): when the application looks at the local port of a socket whose port the agent
 * deferred, the agent gives the socket a real port then, as the JDK would have had it since bind. A
 * getter therefore always shows a port, and the read itself takes away the sharing it was meant to
 * prove. The agent hooks the getters, not {@code Net}, so this read observes without changing
 * anything, with or without the agent, and costs the same in every configuration: a few field loads
 * and one system call.
 *
 * <p>Needs {@code --add-opens java.base/java.net=ALL-UNNAMED --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED} on JDK 9+ (or the same as {@code Add-Opens} in the main jar's
 * manifest); JDK 8 has no modules.
 */
public final class KernelView {
  private KernelView() {}

  public static int localPort(Socket socket) throws IOException {
    try {
      return localPort(SocketDescriptors.of(socket));
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  public static int localPort(SocketChannel channel) throws IOException {
    try {
      return localPort(SocketDescriptors.of(channel));
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  public static int localPort(AsynchronousSocketChannel channel) throws IOException {
    try {
      return localPort(SocketDescriptors.of(channel));
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * The same read with core reflection and nothing resolved ahead, for a program that reads once:
   * no {@code java.lang.invoke} set-up, whose cost (milliseconds on a JVM that has not used it yet)
   * would dwarf the read in a startup measurement.
   */
  static int localPortOnce(Socket socket) throws IOException, ReflectiveOperationException {
    try {
      return (Integer) localPortMethod().invoke(null, SocketDescriptors.reflectively(socket));
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IOException) {
        throw (IOException) e.getCause();
      }
      throw e;
    }
  }

  private static int localPort(FileDescriptor fd) throws Throwable {
    return (int) Net.LOCAL_PORT.invokeExact(fd);
  }

  /** {@code private static native int localPort(FileDescriptor) throws IOException}. */
  private static Method localPortMethod() throws ReflectiveOperationException {
    return SocketDescriptors.accessible(
        Class.forName("sun.nio.ch.Net").getDeclaredMethod("localPort", FileDescriptor.class));
  }

  private static final class Net {
    static final MethodHandle LOCAL_PORT;

    static {
      try {
        LOCAL_PORT = MethodHandles.lookup().unreflect(localPortMethod());
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }
}
