package io.fourtuple.agent.platform;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * The core's only way into socket internals: writes the one native socket option the JDK has no API
 * for, and (default methods, the real implementations in this package) reads what Netty's epoll and
 * io_uring channels keep private and gives a deferred socket its port, so the core holds no
 * reflection into Netty or {@code sun.nio.ch} and tests can stand in for all of it. Probed once at
 * start; where the mechanism or the kernel lacks the option, {@link Unavailable} says why and the
 * agent observes without rewriting.
 *
 * <p>Kernel fact relied on: {@code IP_BIND_ADDRESS_NO_PORT} (Linux 4.2+, level {@code IPPROTO_IP} =
 * 0, option 24) defers the choice of source port from {@code bind()} to {@code connect()}, so a
 * client that binds to port 0 before connecting shares ports across destinations. It works on
 * AF_INET6 (dual-stack) sockets too, through the same level.
 */
public interface SocketOptions {

  int IPPROTO_IP = 0;
  int IP_BIND_ADDRESS_NO_PORT = 24;

  /**
   * Linux 6.3+: narrows the ephemeral range of one socket; the value is {@code high << 16 | low}.
   * Older kernels refuse it with ENOPROTOOPT; a range outside {@code ip_local_port_range} is
   * accepted and silently ignored, one partly outside silently intersected.
   */
  int IP_LOCAL_PORT_RANGE = 51;

  boolean isAvailable();

  /** Why {@link #isAvailable()} is false, or null. */
  String unavailabilityCause();

  /** How the option is set, for the startup line. */
  String mechanism();

  /**
   * Sets {@code IP_BIND_ADDRESS_NO_PORT=1} on {@code fd}.
   *
   * @throws IOException as the JDK's native layer reports it (errno text in the message)
   */
  void setBindAddressNoPort(FileDescriptor fd) throws IOException;

  /**
   * Sets {@code IP_LOCAL_PORT_RANGE} ({@code value}: {@code high << 16 | low}) on {@code fd}.
   *
   * @throws IOException as {@link #setBindAddressNoPort}, or where the mechanism is missing
   */
  default void setLocalPortRange(FileDescriptor fd, int value) throws IOException {
    throw new SocketException("IP_LOCAL_PORT_RANGE unavailable: " + unavailabilityCause());
  }

  /** Reads {@code IP_LOCAL_PORT_RANGE} back from {@code fd}, for the start probe. */
  default int localPortRange(FileDescriptor fd) throws IOException {
    throw new SocketException("IP_LOCAL_PORT_RANGE unavailable: " + unavailabilityCause());
  }

  /**
   * Sets {@code IP_LOCAL_PORT_RANGE} to {@code value} on a throwaway TCP socket and returns what
   * the kernel kept: the start probe of a port slice.
   */
  default int probeLocalPortRange(int value) throws IOException {
    SocketChannel probe = SocketChannel.open();
    try {
      // SocketChannelImpl.fd: the installer has opened sun.nio.ch to the agent.
      Field field = probe.getClass().getDeclaredField("fd");
      field.setAccessible(true);
      FileDescriptor fd = (FileDescriptor) field.get(probe);
      setLocalPortRange(fd, value);
      return localPortRange(fd);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new SocketException("cannot read a test socket's descriptor: " + e);
    } finally {
      probe.close();
    }
  }

  /**
   * Whether {@code channel} is a Netty epoll or io_uring TCP client channel (not server, datagram,
   * domain).
   */
  default boolean isNettyTcpClient(Object channel) {
    return NettySockets.isTcpClient(channel);
  }

  /** Whether {@code nettySocket} is the {@code LinuxSocket} of a Netty io_uring channel. */
  default boolean isNettyIoUring(Object nettySocket) {
    return NettySockets.isIoUring(nettySocket);
  }

  /** The descriptor of a Netty {@code LinuxSocket}, wrapped; null if it cannot be read. */
  default FileDescriptor nettyDescriptor(Object nettySocket) {
    return NettySockets.descriptor(nettySocket);
  }

  /** A Netty channel's (or socket's) local address, or null. */
  default Object nettyLocalAddress(Object channel) {
    return NettySockets.localAddress(channel);
  }

  /** A Netty channel's remote address; {@code requested}: where its pending connect was going. */
  default Object nettyRemoteAddress(Object channel, boolean requested) {
    return requested
        ? NettySockets.requestedRemoteAddress(channel)
        : NettySockets.remoteAddress(channel);
  }

  /**
   * The key of a Netty channel's record: its {@code LinuxSocket} ({@link SocketKeys}), or null if
   * it cannot be read.
   */
  default Object nettySocket(Object channel) {
    return NettySockets.socket(channel);
  }

  /**
   * The key of a {@code java.net.Socket}'s record: the implementation its {@code SocketImpl} hooks
   * see ({@link SocketKeys}), or null if it cannot be read.
   */
  default Object socketImpl(java.net.Socket socket) {
    return SocketKeys.implOf(socket);
  }

  /** Gives a socket whose port the agent deferred its port now ({@link DeferredPorts}). */
  default DeferredPorts.Outcome assignPort(Object socket) {
    return DeferredPorts.assignPort(socket);
  }

  /** Why the last {@link #assignPort} failed or found no port, or null. */
  default Throwable assignPortFailure() {
    return DeferredPorts.lastFailure();
  }

  /**
   * Thrown instead of any native call when the descriptor is missing or invalid (a socket never
   * created, or closed): nothing unvalidated reaches native code, and the JDK's own bind then
   * throws what it throws.
   */
  final class NotOpenException extends SocketException {
    private static final long serialVersionUID = 1L;

    public NotOpenException() {
      super("no open descriptor");
    }
  }

  /** What a failure of {@link #setBindAddressNoPort} means for the rest of the process. */
  enum Failure {
    /**
     * The kernel or socket type lacks the option (ENOPROTOOPT, EOPNOTSUPP): stop trying,
     * process-wide.
     */
    UNSUPPORTED,
    /**
     * The descriptor was closed under us (EBADF): this socket's bind fails anyway; nothing to
     * report.
     */
    CLOSED,
    /** Anything else: count it and report it once. */
    OTHER;

    public static Failure classify(Throwable t) {
      String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (message.contains("protocol not available")
          || message.contains("operation not supported")) {
        return UNSUPPORTED;
      }
      if (message.contains("bad file descriptor") || message.contains("socket closed")) {
        return CLOSED;
      }
      return OTHER;
    }
  }

  /**
   * The JDK's own {@code sun.nio.ch.Net.setIntOption0}, present with the same signature on JDK 8 to
   * 25. It needs no native library of ours and, unlike FFM or JNI, triggers no native-access
   * warning on JDK 24+. On JDK 9+ {@code sun.nio.ch} must be opened to the agent first (the
   * installer does that).
   */
  final class ForJdkNet implements SocketOptions {
    private final MethodHandle setIntOption;
    private final MethodHandle getIntOption;

    /** With the JDK's {@code setIntOption0} (or, in tests, a stand-in of the same type). */
    ForJdkNet(MethodHandle setIntOption) {
      this(setIntOption, null);
    }

    /** With {@code getIntOption0} too, which only the port-slice probe reads back through. */
    ForJdkNet(MethodHandle setIntOption, MethodHandle getIntOption) {
      this.setIntOption = setIntOption;
      this.getIntOption = getIntOption;
    }

    /** Probes the mechanism and the kernel; never throws. */
    public static SocketOptions probe(KernelInfo kernel) {
      if (!kernel.isLinux()) {
        return new Unavailable("the OS is " + kernel.osName() + ", not Linux", "none");
      }
      if (!kernel.isAtLeast(4, 2)) {
        return new Unavailable(
            "kernel " + kernel.release() + " predates IP_BIND_ADDRESS_NO_PORT (Linux 4.2)", "none");
      }
      try {
        Method get =
            Class.forName("sun.nio.ch.Net", true, null)
                .getDeclaredMethod(
                    "getIntOption0", FileDescriptor.class, boolean.class, int.class, int.class);
        get.setAccessible(true);
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        return new ForJdkNet(lookup.unreflect(setIntOption0()), lookup.unreflect(get));
      } catch (Throwable t) {
        return new Unavailable(
            "sun.nio.ch.Net.setIntOption0 is not usable on this JDK (" + t + ")", "none");
      }
    }

    /**
     * {@code Net.setIntOption0(fd, mayNeedConversion, level, option, value, isIPv6)}, accessible.
     * Initializes {@code Net} at start, so that no hook ever triggers its static initializer.
     */
    static Method setIntOption0() throws Exception {
      Method m =
          Class.forName("sun.nio.ch.Net", true, null)
              .getDeclaredMethod(
                  "setIntOption0",
                  FileDescriptor.class,
                  boolean.class,
                  int.class,
                  int.class,
                  int.class,
                  boolean.class);
      m.setAccessible(true);
      return m;
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public String unavailabilityCause() {
      return null;
    }

    @Override
    public String mechanism() {
      return "sun.nio.ch.Net.setIntOption0";
    }

    @Override
    public void setBindAddressNoPort(FileDescriptor fd) throws IOException {
      set(fd, IP_BIND_ADDRESS_NO_PORT, 1);
    }

    @Override
    public void setLocalPortRange(FileDescriptor fd, int value) throws IOException {
      set(fd, IP_LOCAL_PORT_RANGE, value);
    }

    @Override
    public int localPortRange(FileDescriptor fd) throws IOException {
      if (fd == null || !fd.valid() || getIntOption == null) {
        throw new NotOpenException();
      }
      try {
        return (int) getIntOption.invokeExact(fd, false, IPPROTO_IP, IP_LOCAL_PORT_RANGE);
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new SocketException(t.toString());
      }
    }

    private void set(FileDescriptor fd, int option, int value) throws IOException {
      if (fd == null || !fd.valid()) {
        throw new NotOpenException();
      }
      try {
        // mayNeedConversion=false: level and option go to setsockopt(2) as given.
        setIntOption.invokeExact(fd, false, IPPROTO_IP, option, value, false);
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new SocketException(t.toString());
      }
    }
  }

  /** The option cannot be set here; {@link #unavailabilityCause()} says why. */
  final class Unavailable implements SocketOptions {
    private final String cause;
    private final String mechanism;

    public Unavailable(String cause, String mechanism) {
      this.cause = cause;
      this.mechanism = mechanism;
    }

    @Override
    public boolean isAvailable() {
      return false;
    }

    @Override
    public String unavailabilityCause() {
      return cause;
    }

    @Override
    public String mechanism() {
      return mechanism;
    }

    @Override
    public void setBindAddressNoPort(FileDescriptor fd) throws IOException {
      throw new SocketException("IP_BIND_ADDRESS_NO_PORT unavailable: " + cause);
    }
  }
}
