package io.fourtuple.agent.instrumentation;

import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.THIS;
import static io.fourtuple.agent.instrumentation.MethodHook.intParameter;
import static io.fourtuple.agent.instrumentation.MethodHook.parameter;

import io.fourtuple.agent.instrumentation.MethodHook.Value;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * Where the linger guard sees every SO_LINGER set and times closes, one hook per API so that no set
 * is seen twice:
 *
 * <ul>
 *   <li>{@code java.net.Socket.setSoLinger(boolean,int)} and, on JDK 9+, {@code Socket.setOption}.
 *       They call the socket implementation directly, never each other, and {@code
 *       Socket.setSoLinger} clamps values above 65535 itself, so the hook at its entry is the only
 *       point that sees what the application passed.
 *   <li>{@code sun.nio.ch.SocketChannelImpl.setOption}, the method returning {@code SocketChannel}:
 *       the synthetic bridge returning {@code NetworkChannel} has another descriptor and is not
 *       woven. The socket adaptor ({@code channel.socket()}) overrides {@code setSoLinger} (and, on
 *       17+, {@code setOption}) without calling {@code Socket}'s, forwarding to this method; so
 *       does Netty NIO, whose {@code ChannelOption.SO_LINGER} goes through the adaptor.
 *   <li>Close: {@code Socket.close()} (the adaptor overrides it and lands in the channel's), {@code
 *       SocketChannelImpl.implCloseSelectableChannel()} (called once per channel, from {@code
 *       close()}, and where the JDK closes or pre-closes the descriptor).
 * </ul>
 *
 * <p>{@code AsynchronousSocketChannel} is not hooked: it rejects SO_LINGER with {@code
 * UnsupportedOperationException} on every JDK of the matrix.
 *
 * <p>Hazard: the set hooks rewrite their own arguments. The entry code calls the dispatcher and
 * stores the result back into the parameter slot (same type, straight-line, no new local), before
 * the JDK validates the value, so a value the agent leaves alone takes exactly the JDK's path,
 * exceptions included. {@code setSoLinger} gets both arguments back packed in one {@code long}.
 */
final class LingerHooks extends TargetType {
  static final String SOCKET = "java.net.Socket";
  static final String CHANNEL = "sun.nio.ch.SocketChannelImpl";

  private static final String SET_SO_LINGER = "(ZI)V";
  private static final String CLOSE = "()V";

  private final String setOptionDescriptor;
  private final String closeMethod;
  private final int api;

  private LingerHooks(String className, String returnType, String closeMethod, int api) {
    super(className);
    this.setOptionDescriptor = "(Ljava/net/SocketOption;Ljava/lang/Object;)L" + returnType + ";";
    this.closeMethod = closeMethod;
    this.api = api;
  }

  static LingerHooks socket() {
    return new LingerHooks(SOCKET, "java/net/Socket", "close", SocketHooks.API_SOCKET);
  }

  static LingerHooks channel() {
    return new LingerHooks(
        CHANNEL,
        "java/nio/channels/SocketChannel",
        "implCloseSelectableChannel",
        SocketHooks.API_SOCKET_CHANNEL);
  }

  @Override
  List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    String className = className();
    if (className.equals(SOCKET)) {
      if (shape.hasMethod("setSoLinger", SET_SO_LINGER)) {
        hooks.add(setSoLingerHook());
      } else {
        problems.add(className + " has no setSoLinger(boolean,int)");
      }
    }
    // Socket.setOption exists from JDK 9; the channels have it on every JDK.
    if (shape.hasMethod("setOption", setOptionDescriptor)) {
      hooks.add(setOptionHook());
    } else if (!className.equals(SOCKET)) {
      problems.add(className + " has no setOption" + setOptionDescriptor);
    }
    if (shape.hasMethod(closeMethod, CLOSE)) {
      hooks.add(new TimedClose(closeMethod, THIS, api));
    } else {
      problems.add(className + " has no " + closeMethod + "(); closes are not timed");
    }
    return hooks;
  }

  private static MethodHook setSoLingerHook() {
    return new MethodHook("setSoLinger", SET_SO_LINGER) {
      @Override
      void onEnter(MethodVisitor mv) {
        setSoLinger(mv, THIS, intParameter(1), intParameter(2), SocketHooks.API_SOCKET);
        mv.visitInsn(Opcodes.DUP2);
        mv.visitInsn(Opcodes.L2I);
        mv.visitVarInsn(Opcodes.ISTORE, 2);
        mv.visitIntInsn(Opcodes.BIPUSH, 32);
        mv.visitInsn(Opcodes.LUSHR);
        mv.visitInsn(Opcodes.L2I);
        mv.visitVarInsn(Opcodes.ISTORE, 1);
      }
    };
  }

  private MethodHook setOptionHook() {
    return new MethodHook("setOption", setOptionDescriptor) {
      @Override
      void onEnter(MethodVisitor mv) {
        setOption(mv, THIS, parameter(1), parameter(2), api);
        mv.visitVarInsn(Opcodes.ASTORE, 2);
      }
    };
  }

  /**
   * A close the linger guard times: {@code LINGER_CLOSING} at entry, {@code LINGER_CLOSED} on the
   * way out, returning or throwing. {@code socket}: SO_LINGER's identity (the JDK socket or
   * channel; Netty's {@code LinuxSocket}).
   */
  static class TimedClose extends MethodHook {
    private final Value socket;
    private final int api;

    TimedClose(String name, Value socket, int api) {
      super(name, CLOSE);
      this.socket = socket;
      this.api = api;
    }

    @Override
    void onEnter(MethodVisitor mv) {
      close(mv, socket, api, SocketHooks.LINGER_CLOSING);
    }

    @Override
    void beforeReturn(MethodVisitor mv) {
      close(mv, socket, api, SocketHooks.LINGER_CLOSED);
    }

    @Override
    void onThrow(MethodVisitor mv) {
      beforeReturn(mv); // the throwable stays below for the rethrow
    }
  }
}
