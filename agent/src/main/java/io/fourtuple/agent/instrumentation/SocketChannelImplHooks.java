package io.fourtuple.agent.instrumentation;

import static io.fourtuple.agent.instrumentation.MethodHook.FD;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.FALSE;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.NULL;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.THIS;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TOP;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.ZERO;
import static io.fourtuple.agent.instrumentation.MethodHook.field;
import static io.fourtuple.agent.instrumentation.MethodHook.parameter;

import io.fourtuple.agent.instrumentation.MethodHook.JdkBind;
import io.fourtuple.agent.instrumentation.MethodHook.Value;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;

/**
 * {@code sun.nio.ch.SocketChannelImpl}: every {@code SocketChannel}, its {@code socket()} adaptor,
 * and what Netty's NIO transport and the JDK {@code HttpClient} use underneath. Always a client
 * (listeners are {@code ServerSocketChannelImpl}).
 *
 * <p>Bind: on JDK 16+ the IP path is the private {@code netBind(SocketAddress)}, never taken for
 * unix-domain addresses; on 8–15 it is {@code bind(SocketAddress)} returning {@code SocketChannel}.
 * Either way the hook is the call just before the method's own call of {@code
 * NetHooks.beforeTcpBind}: after the JDK's checks (open, not connecting, not bound, a resolved
 * address of a supported type) and under the state lock. The synthetic bridge {@code bind}
 * returning {@code NetworkChannel} has another descriptor and is not woven, so the hook runs once.
 * Reads: {@code getLocalAddress()} and {@code localAddress()} (the socket adaptor's source) pass
 * the cached {@code localAddress} at entry. Connect: {@code connect(SocketAddress)} and, for
 * non-blocking channels, {@code finishConnect()}. The type of {@code localAddress} and {@code
 * remoteAddress} changed in JDK 16 and is read from the class.
 */
final class SocketChannelImplHooks extends TargetType {
  static final String NAME = "sun.nio.ch.SocketChannelImpl";

  private static final String NET_BIND = "(Ljava/net/SocketAddress;)Ljava/net/SocketAddress;";
  private static final String BIND = "(Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;";
  private static final String CONNECT = "(Ljava/net/SocketAddress;)Z";
  private static final String FINISH_CONNECT = "()Z";
  private static final String CLOSE = "()V";
  static final String GET_LOCAL = "()Ljava/net/SocketAddress;";
  private static final int API = SocketHooks.API_SOCKET_CHANNEL;

  SocketChannelImplHooks() {
    super(NAME);
  }

  @Override
  List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    String localType = shape.field("localAddress");
    String remoteType = shape.field("remoteAddress");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (localType == null || remoteType == null || !FD.equals(shape.field("fd"))) {
      problems.add(NAME + " lacks the fields fd, localAddress or remoteAddress");
      return hooks;
    }
    final Value fd = field(owner, "fd", FD);
    final Value local = field(owner, "localAddress", localType);
    final Value remote = field(owner, "remoteAddress", remoteType);
    String bindName = shape.hasMethod("netBind", NET_BIND) ? "netBind" : "bind";
    String bindDescriptor = bindName.equals("netBind") ? NET_BIND : BIND;
    if (shape.hasMethod(bindName, bindDescriptor)) {
      hooks.add(new JdkBind(bindName, bindDescriptor, owner, ZERO, FALSE, API));
    } else {
      problems.add(NAME + " has neither netBind(SocketAddress) nor bind(SocketAddress)");
    }
    // The application's reads of the local address: getLocalAddress(), and localAddress(), which
    // the socket adaptor's getLocalPort/getLocalAddress/getLocalSocketAddress and toString() use.
    // Its return type is the field's type on every JDK (InetSocketAddress to 15, then
    // SocketAddress).
    for (String[] getter :
        new String[][] {{"getLocalAddress", GET_LOCAL}, {"localAddress", "()" + localType}}) {
      if (shape.hasMethod(getter[0], getter[1])) {
        hooks.add(MethodHook.localReadHook(getter[0], getter[1], local, API));
      } else {
        problems.add(NAME + " has no " + getter[0] + "(); local address reads there unseen");
      }
    }
    if (shape.hasMethod("connect", CONNECT)) {
      hooks.add(
          new MethodHook("connect", CONNECT) {
            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (isBeforeTcpConnect(callee, name)) {
                beforeConnect(mv, THIS, fd, API); // JDK 8; later JDKs: beginConnect
              }
            }

            @Override
            void beforeReturn(MethodVisitor mv) {
              connected(mv, TOP, THIS, parameter(1), local, ZERO, API, SocketHooks.CONNECTED);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              connectOutcome(mv, TOP, THIS, parameter(1), NULL, API);
            }
          });
    }
    for (String begin :
        new String[] {"(ZLjava/net/SocketAddress;)V", "(ZLjava/net/InetSocketAddress;)V"}) {
      if (shape.hasMethod("beginConnect", begin)) {
        hooks.add(MethodHook.beforeConnectHook("beginConnect", begin, owner, API));
      }
    }
    if (shape.hasMethod("finishConnect", FINISH_CONNECT)) {
      hooks.add(
          new MethodHook("finishConnect", FINISH_CONNECT) {
            @Override
            void beforeReturn(MethodVisitor mv) {
              connected(mv, TOP, THIS, remote, local, ZERO, API, SocketHooks.FINISH_CONNECT);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              connectOutcome(mv, TOP, THIS, remote, NULL, API);
            }
          });
    }
    // implCloseSelectableChannel(): reached by close() on JDK 8-25, once per channel.
    if (shape.hasMethod("implCloseSelectableChannel", CLOSE)) {
      hooks.add(MethodHook.closingHook("implCloseSelectableChannel", API));
    } else {
      problems.add(
          NAME + " has no implCloseSelectableChannel(); the port ledger relies on the kernel");
    }
    return hooks;
  }
}
