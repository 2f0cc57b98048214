package io.fourtuple.agent.instrumentation;

import static io.fourtuple.agent.instrumentation.MethodHook.FD;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.NULL;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.THIS;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TOP;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TRUE;
import static io.fourtuple.agent.instrumentation.MethodHook.field;
import static io.fourtuple.agent.instrumentation.MethodHook.intParameter;
import static io.fourtuple.agent.instrumentation.MethodHook.parameter;

import io.fourtuple.agent.instrumentation.MethodHook.Value;
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
final class SocketImplHooks extends TargetType {
  static final String NIO = "sun.nio.ch.NioSocketImpl";
  static final String PLAIN = "java.net.AbstractPlainSocketImpl";
  static final String BASE = "java.net.SocketImpl";

  private static final String BIND = "(Ljava/net/InetAddress;I)V";
  private static final String CONNECT = "(Ljava/net/SocketAddress;I)V";
  private static final String CLOSE = "()V";
  private static final int API = SocketHooks.API_SOCKET;

  private SocketImplHooks(String className) {
    super(className);
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

  @Override
  List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    String className = className();
    String owner = shape.internalName;
    // The impl's cached local address: SocketImpl keeps it as an address and a port.
    final Value address = field(owner, "address", "Ljava/net/InetAddress;");
    final Value localPort = field(owner, "localport", "I");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (className.equals(BASE)) {
      if (shape.hasMethod("getLocalPort", "()I")
          && "I".equals(shape.field("localport"))
          && "Ljava/net/InetAddress;".equals(shape.field("address"))) {
        hooks.add(
            new MethodHook("getLocalPort", "()I") {
              @Override
              void onEnter(MethodVisitor mv) {
                localRead(mv, THIS, address, localPort, API);
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
    final Value server;
    if (shape.field("server") != null) {
      server = field(owner, "server", "Z");
    } else if (shape.field("isServer") != null) {
      server = field(owner, "isServer", "Z");
    } else if (className.equals(PLAIN)) {
      server = hasServerSocket(owner); // JDK 8-12
    } else {
      problems.add(className + " declares no field that marks a listener; bind left unhooked");
      server = null;
    }
    if (server != null) {
      hooks.add(
          new MethodHook.JdkBind("bind", BIND, owner, intParameter(2), server, API) {
            @Override
            void onEnter(MethodVisitor mv) {
              // A second bind of a socket whose port the agent deferred: give it its port first,
              // so the JDK's own "Already bound" check (or the kernel's EINVAL) answers as
              // without the agent.
              localRead(mv, THIS, address, localPort, API);
            }
          });
    }
    // Where a socket that never bound reaches NetHooks.beforeTcpConnect: its port slice.
    String[] begin =
        className.equals(NIO)
            ? new String[] {"beginConnect", "(Ljava/net/InetAddress;I)" + FD}
            : new String[] {"doConnect", "(Ljava/net/InetAddress;II)V"};
    if (shape.hasMethod(begin[0], begin[1])) {
      hooks.add(MethodHook.beforeConnectHook(begin[0], begin[1], owner, API));
    } else {
      problems.add(className + " has no " + begin[0] + "; connects without bind get no port slice");
    }
    hooks.add(
        new MethodHook("connect", CONNECT) {
          @Override
          void beforeReturn(MethodVisitor mv) {
            // SocketImpl keeps the local port only (address is the remote's now).
            connected(mv, TRUE, THIS, parameter(1), NULL, localPort, API, SocketHooks.CONNECTED);
          }

          @Override
          void onThrow(MethodVisitor mv) {
            connectOutcome(mv, TOP, THIS, parameter(1), NULL, API);
          }
        });
    // close(): the port ledger's end of a socket's life. Declared by both implementations on JDK
    // 8-25; Socket.close() and the JDK 8-12 finalizer reach it, the JDK 13+ cleaner does not (the
    // ledger reconciles those sockets with the kernel table).
    if (shape.hasMethod("close", CLOSE)) {
      hooks.add(MethodHook.closingHook("close", API));
    } else {
      problems.add(className + " has no close(); the port ledger relies on the kernel table alone");
    }
    return hooks;
  }

  /**
   * JDK 8-12: a listener's implementation has its {@code SocketImpl.serverSocket} set; {@code
   * instanceof} is exactly "not null" without a branch.
   */
  private static Value hasServerSocket(final String owner) {
    final Value serverSocket = field(owner, "serverSocket", "Ljava/net/ServerSocket;");
    return new Value() {
      @Override
      public void push(MethodVisitor mv) {
        serverSocket.push(mv);
        mv.visitTypeInsn(Opcodes.INSTANCEOF, "java/net/ServerSocket");
      }
    };
  }
}
