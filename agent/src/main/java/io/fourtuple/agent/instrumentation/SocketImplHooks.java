package io.fourtuple.agent.instrumentation;

import io.fourtuple.agent.instrumentation.MethodHook.Entry;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The implementations behind {@code java.net.Socket}: {@code sun.nio.ch.NioSocketImpl} (JDK 13+)
 * and {@code java.net.AbstractPlainSocketImpl} (JDK 8–12, and 13–17 with {@code
 * -Djdk.net.usePlainSocketImpl=true}). Hooks {@code bind(InetAddress,int)} and {@code
 * connect(SocketAddress,int)} (the one {@code SocksSocketImpl} and {@code Socket} call).
 *
 * <p>Hazards: the same implementation binds every {@code ServerSocket}. How it knows differs by
 * JDK: {@code NioSocketImpl.server}, {@code AbstractPlainSocketImpl.isServer} on 13–17, {@code
 * SocketImpl.serverSocket} set on 8–12. The variant is chosen from the fields the class declares.
 * The policy never touches a listener: the JDK reads the bound port right after bind and a listener
 * without one fails with "Not bound". The bind hook is the call just before {@code bind}'s own call
 * of {@code NetHooks.beforeTcpBind}, so after the JDK's checks (created, open, not bound) and, on
 * {@code NioSocketImpl}, under its state lock; the descriptor is {@code SocketImpl.fd}, which JDK
 * 8's implementation can still pass there as null (never created): the core checks it before any
 * native call. At the entry of {@code bind} and of {@code SocketImpl.getLocalPort()} a read of the
 * cached {@code localport}/{@code address} lets the core give a deferred socket its port first.
 */
final class SocketImplHooks implements TargetType {
  static final String NIO = "sun.nio.ch.NioSocketImpl";
  static final String PLAIN = "java.net.AbstractPlainSocketImpl";
  static final String BASE = "java.net.SocketImpl";

  private static final String FD = "Ljava/io/FileDescriptor;";
  private static final String BIND = "(Ljava/net/InetAddress;I)V";
  private static final String CONNECT = "(Ljava/net/SocketAddress;I)V";
  private static final String CLOSE = "()V";

  private final String className;

  private SocketImplHooks(String className) {
    this.className = className;
  }

  static SocketImplHooks nio() {
    return new SocketImplHooks(NIO);
  }

  static SocketImplHooks plain() {
    return new SocketImplHooks(PLAIN);
  }

  /**
   * {@code SocketImpl.getLocalPort()}: what {@code Socket.getLocalPort()}, {@code
   * getLocalSocketAddress()} and {@code toString()} read, through any wrapping implementation, from
   * the implementation that bound the socket (neither platform implementation overrides it).
   */
  static SocketImplHooks base() {
    return new SocketImplHooks(BASE);
  }

  /** {@code localRead(this, address, localport, API_SOCKET)}: the impl's cached local address. */
  static void loadLocalRead(MethodVisitor mv, String owner) {
    MethodHook.loadThis(mv);
    MethodHook.loadField(mv, owner, "address", "Ljava/net/InetAddress;");
    MethodHook.loadField(mv, owner, "localport", "I");
    MethodHook.dispatch(mv, Entry.LOCAL_READ, SocketHooks.API_SOCKET);
  }

  @Override
  public String className() {
    return className;
  }

  @Override
  public List<MethodHook> hooks(final ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (className.equals(BASE)) {
      if (shape.hasMethod("getLocalPort", "()I")
          && "I".equals(shape.field("localport"))
          && "Ljava/net/InetAddress;".equals(shape.field("address"))) {
        hooks.add(
            new MethodHook("getLocalPort", "()I") {
              @Override
              void onEnter(MethodVisitor mv) {
                loadLocalRead(mv, owner);
              }
            });
      } else {
        problems.add(BASE + " lacks getLocalPort(), localport or address; local port reads unseen");
      }
      return hooks;
    }
    if (!shape.hasMethod("bind", BIND) || !shape.hasMethod("connect", CONNECT)) {
      problems.add(className + " has no bind(InetAddress,int) or connect(SocketAddress,int)");
      return hooks;
    }
    final String serverField;
    if (shape.field("server") != null) {
      serverField = "server";
    } else if (shape.field("isServer") != null) {
      serverField = "isServer";
    } else if (className.equals(PLAIN)) {
      serverField = null; // JDK 8-12: SocketImpl.serverSocket
    } else {
      problems.add(className + " declares no field that marks a listener; bind left unhooked");
      serverField = "";
    }
    if (serverField == null || !serverField.isEmpty()) {
      hooks.add(
          new MethodHook("bind", BIND) {
            @Override
            void onEnter(MethodVisitor mv) {
              // A second bind of a socket whose port the agent deferred: give it its port first,
              // so the JDK's own "Already bound" check (or the kernel's EINVAL) answers as
              // without the agent.
              loadLocalRead(mv, owner);
            }

            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (!isBeforeTcpBind(callee, name)) {
                return;
              }
              loadThis(mv);
              loadField(mv, owner, "fd", FD);
              mv.visitVarInsn(Opcodes.ALOAD, 1);
              mv.visitVarInsn(Opcodes.ILOAD, 2);
              if (serverField != null) {
                loadField(mv, owner, serverField, "Z");
              } else {
                // JDK 8-12: a listener's implementation has its serverSocket set; instanceof is
                // exactly "not null" without a branch.
                loadField(mv, owner, "serverSocket", "Ljava/net/ServerSocket;");
                mv.visitTypeInsn(Opcodes.INSTANCEOF, "java/net/ServerSocket");
              }
              dispatch(mv, Entry.BIND, SocketHooks.API_SOCKET);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThisAndArguments(mv);
              dispatch(mv, Entry.BIND_FAILED, SocketHooks.API_SOCKET);
            }
          });
    }
    // Where a socket that never bound reaches NetHooks.beforeTcpConnect: its port slice.
    String[] begin =
        className.equals(NIO)
            ? new String[] {"beginConnect", "(Ljava/net/InetAddress;I)" + FD}
            : new String[] {"doConnect", "(Ljava/net/InetAddress;II)V"};
    if (shape.hasMethod(begin[0], begin[1])) {
      hooks.add(MethodHook.beforeConnect(begin[0], begin[1], owner, SocketHooks.API_SOCKET));
    } else {
      problems.add(className + " has no " + begin[0] + "; connects without bind get no port slice");
    }
    hooks.add(
        new MethodHook("connect", CONNECT) {
          @Override
          void beforeReturn(MethodVisitor mv) {
            mv.visitInsn(Opcodes.ICONST_1);
            loadThis(mv);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            loadNull(mv); // SocketImpl keeps the local port only (address is the remote's now)
            loadField(mv, owner, "localport", "I");
            dispatch(mv, Entry.CONNECTED, SocketHooks.API_SOCKET, SocketHooks.CONNECTED);
          }

          @Override
          void onThrow(MethodVisitor mv) {
            mv.visitInsn(Opcodes.DUP);
            loadThis(mv);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            loadNull(mv);
            dispatch(mv, Entry.CONNECT_OUTCOME, SocketHooks.API_SOCKET);
          }
        });
    // close(): the port ledger's end of a socket's life. Declared by both implementations on JDK
    // 8-25; Socket.close() and the JDK 8-12 finalizer reach it, the JDK 13+ cleaner does not (the
    // ledger reconciles those sockets with the kernel table).
    if (shape.hasMethod("close", CLOSE)) {
      hooks.add(
          new MethodHook("close", CLOSE) {
            @Override
            void onEnter(MethodVisitor mv) {
              loadThis(mv);
              dispatch(mv, Entry.CLOSE, SocketHooks.API_SOCKET, SocketHooks.CLOSING);
            }
          });
    } else {
      problems.add(className + " has no close(); the port ledger relies on the kernel table alone");
    }
    return hooks;
  }
}
