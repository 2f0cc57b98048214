package io.fourtuple.agent.platform;

import java.lang.reflect.Field;
import java.net.Socket;

/**
 * The key of a socket's one record (see {@code core.SocketRecords}) for the objects hooks that know
 * only the outer object push: a {@code java.net.Socket} (its SO_LINGER set and close) is keyed by
 * the implementation the {@code SocketImpl} hooks see, and a Netty epoll channel by its {@code
 * LinuxSocket}, the object Netty's SO_LINGER set and its own option are woven into.
 *
 * <p>{@code Socket.impl} is that implementation on JDK 8 to 12; on 13+ it is a {@code
 * SocksSocketImpl} that delegates ({@code DelegatingSocketImpl.delegate}) to the platform one.
 * Fields are resolved once ({@code java.net} is opened to the agent by the installer; Netty through
 * {@link NettySockets}); any failure returns null and the caller keys by the object itself, which
 * keeps every hook of that API consistent with itself. Never throws.
 */
final class SocketKeys {
  private static final Field IMPL = field("java.net.Socket", "impl");
  private static final Field DELEGATE = field("java.net.DelegatingSocketImpl", "delegate");

  private SocketKeys() {}

  /** The implementation behind {@code socket}, or null if it cannot be read. */
  static Object implOf(Socket socket) {
    if (IMPL == null) {
      return null;
    }
    try {
      Object impl = IMPL.get(socket);
      if (impl != null && DELEGATE != null && DELEGATE.getDeclaringClass().isInstance(impl)) {
        Object delegate = DELEGATE.get(impl);
        return delegate != null ? delegate : impl;
      }
      return impl;
    } catch (Throwable t) {
      return null;
    }
  }

  private static Field field(String className, String name) {
    try {
      Field f = Class.forName(className, false, null).getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (Throwable t) {
      return null; // JDK 8-12 have no DelegatingSocketImpl; java.net not open: key by the Socket
    }
  }
}
