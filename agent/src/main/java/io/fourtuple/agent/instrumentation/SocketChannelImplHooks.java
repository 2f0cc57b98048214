package io.fourtuple.agent.instrumentation;

import io.fourtuple.agent.instrumentation.MethodHook.Entry;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

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
final class SocketChannelImplHooks implements TargetType {
  static final String NAME = "sun.nio.ch.SocketChannelImpl";

  private static final String FD = "Ljava/io/FileDescriptor;";
  private static final String NET_BIND = "(Ljava/net/SocketAddress;)Ljava/net/SocketAddress;";
  private static final String BIND = "(Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;";
  private static final String CONNECT = "(Ljava/net/SocketAddress;)Z";
  private static final String FINISH_CONNECT = "()Z";
  private static final String CLOSE = "()V";
  static final String GET_LOCAL = "()Ljava/net/SocketAddress;";
  private static final int API = SocketHooks.API_SOCKET_CHANNEL;

  @Override
  public String className() {
    return NAME;
  }

  @Override
  public List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    final String local = shape.field("localAddress");
    final String remote = shape.field("remoteAddress");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (local == null || remote == null || !FD.equals(shape.field("fd"))) {
      problems.add(NAME + " lacks the fields fd, localAddress or remoteAddress");
      return hooks;
    }
    String bindName = shape.hasMethod("netBind", NET_BIND) ? "netBind" : "bind";
    String bindDescriptor = bindName.equals("netBind") ? NET_BIND : BIND;
    if (shape.hasMethod(bindName, bindDescriptor)) {
      hooks.add(bindHook(bindName, bindDescriptor, owner, API));
    } else {
      problems.add(NAME + " has neither netBind(SocketAddress) nor bind(SocketAddress)");
    }
    // The application's reads of the local address: getLocalAddress(), and localAddress(), which
    // the socket adaptor's getLocalPort/getLocalAddress/getLocalSocketAddress and toString() use.
    // Its return type is the field's type on every JDK (InetSocketAddress to 15, then
    // SocketAddress).
    for (String[] getter :
        new String[][] {{"getLocalAddress", GET_LOCAL}, {"localAddress", "()" + local}}) {
      if (shape.hasMethod(getter[0], getter[1])) {
        hooks.add(localReadHook(getter[0], getter[1], owner, "localAddress", local, API));
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
                dispatchBeforeConnect(mv, owner, API); // JDK 8; later JDKs: beginConnect
              }
            }

            @Override
            void beforeReturn(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThis(mv);
              mv.visitVarInsn(Opcodes.ALOAD, 1);
              loadField(mv, owner, "localAddress", local);
              dispatch(mv, Entry.CONNECTED, 0, API, SocketHooks.CONNECTED);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThis(mv);
              mv.visitVarInsn(Opcodes.ALOAD, 1);
              loadNull(mv);
              dispatch(mv, Entry.CONNECT_OUTCOME, API);
            }
          });
    }
    for (String begin :
        new String[] {"(ZLjava/net/SocketAddress;)V", "(ZLjava/net/InetSocketAddress;)V"}) {
      if (shape.hasMethod("beginConnect", begin)) {
        hooks.add(MethodHook.beforeConnect("beginConnect", begin, owner, API));
      }
    }
    if (shape.hasMethod("finishConnect", FINISH_CONNECT)) {
      hooks.add(
          new MethodHook("finishConnect", FINISH_CONNECT) {
            @Override
            void beforeReturn(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThis(mv);
              loadField(mv, owner, "remoteAddress", remote);
              loadField(mv, owner, "localAddress", local);
              dispatch(mv, Entry.CONNECTED, 0, API, SocketHooks.FINISH_CONNECT);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThis(mv);
              loadField(mv, owner, "remoteAddress", remote);
              loadNull(mv);
              dispatch(mv, Entry.CONNECT_OUTCOME, API);
            }
          });
    }
    // implCloseSelectableChannel(): reached by close() on JDK 8-25, once per channel.
    if (shape.hasMethod("implCloseSelectableChannel", CLOSE)) {
      hooks.add(
          new MethodHook("implCloseSelectableChannel", CLOSE) {
            @Override
            void onEnter(MethodVisitor mv) {
              loadThis(mv);
              dispatch(mv, Entry.CLOSE, API, SocketHooks.CLOSING);
            }
          });
    } else {
      problems.add(
          NAME + " has no implCloseSelectableChannel(); the port ledger relies on the kernel");
    }
    return hooks;
  }

  /**
   * Entry of a channel's local address getter: {@code localRead(this, this.field, 0, api)}.
   *
   * @param field the field that caches the channel's local address
   * @param local its descriptor, read from the class
   */
  static MethodHook localReadHook(
      String name,
      String descriptor,
      final String owner,
      final String field,
      final String local,
      final int api) {
    return new MethodHook(name, descriptor) {
      @Override
      void onEnter(MethodVisitor mv) {
        loadThis(mv);
        loadField(mv, owner, field, local);
        dispatch(mv, Entry.LOCAL_READ, 0, api);
      }
    };
  }

  /**
   * The bind hook of a channel that keeps its descriptor in {@code fd} (the socket channel and the
   * asynchronous socket channel): {@code bind(this, fd, requested, 0, false, api)} before {@code
   * NetHooks.beforeTcpBind}, {@code bindFailed(thrown, this, requested, 0, api)} on a throw.
   */
  static MethodHook bindHook(String name, String descriptor, final String owner, final int api) {
    return new MethodHook(name, descriptor) {
      @Override
      void beforeCall(MethodVisitor mv, String callee, String method, String calleeDescriptor) {
        if (!isBeforeTcpBind(callee, method)) {
          return;
        }
        loadThis(mv);
        loadField(mv, owner, "fd", FD);
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        dispatch(mv, Entry.BIND, 0, 0, api);
      }

      @Override
      void onThrow(MethodVisitor mv) {
        mv.visitInsn(Opcodes.DUP);
        loadThisAndArguments(mv);
        dispatch(mv, Entry.BIND_FAILED, 0, api);
      }
    };
  }
}
