package io.fourtuple.agent.instrumentation;

import io.fourtuple.agent.instrumentation.MethodHook.Entry;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * {@code java.nio.channels.AsynchronousSocketChannel} on Linux: the bind lives in {@code
 * sun.nio.ch.AsynchronousSocketChannelImpl}, the connect and close in {@code
 * sun.nio.ch.UnixAsynchronousSocketChannelImpl}. Both are shaped the same on JDK 8, 11, 17, 21 and
 * 25 (checked with {@code javap -c -p} on each); the hooks are still chosen from the class's own
 * fields and methods.
 *
 * <p>Bind: {@code bind(SocketAddress)} returning {@code AsynchronousSocketChannel}, hooked just
 * before its own call of {@code NetHooks.beforeTcpBind}, after the JDK's checks (open, not pending,
 * not bound, a resolved address) and under the state lock; {@code getLocalAddress()} passes the
 * cached {@code localAddress} at entry. The synthetic bridge returning {@code NetworkChannel} has
 * another descriptor and is not woven. Listeners are {@code AsynchronousServerSocketChannelImpl},
 * never hooked.
 *
 * <p>Connect: {@code implConnect} never throws a connect error; it closes the channel and hands the
 * exception to a {@code CompletedFuture} or the {@code CompletionHandler} (immediate outcome), or
 * leaves the connect pending and the poller thread completes it in {@code finishConnect(boolean)},
 * which hands the outcome on the same way. The hooks therefore sit just before those hand-over
 * calls, where the outcome (a {@code Throwable}, null for success) is the last argument on the
 * stack: {@code CompletedFuture.withFailure/withResult} and {@code Invoker.invoke} in {@code
 * implConnect}, {@code PendingFuture.setResult} and {@code
 * Invoker.invokeUnchecked/invokeIndirectly} in {@code finishConnect}. They run before the
 * application sees the outcome, so a handler that closes the channel at once is still seen
 * connected first. A pending connect is seen just before {@code updateEvents()} registers it with
 * the poller (so before the poller can complete it). What {@code implConnect} itself throws
 * (unresolved address, already connected) is reported too.
 *
 * <p>Hazards: the pending hook runs holding the channel's {@code updateLock}; the outcome hooks in
 * {@code finishConnect} run on the channel group's poller thread. Neither may block (see {@code
 * SocketHooks}). SO_LINGER is not a supported option of this channel (the JDK throws
 * UnsupportedOperationException), so there is no linger hook. When {@code Invoker.invoke} runs the
 * application's handler on the calling thread (a connect started on one of the group's own threads)
 * and the handler throws out of {@code implConnect}, the throw hook reports that connect a second
 * time, as a failure: the counters can be off by one there, the application is not.
 */
final class AsyncChannelHooks implements TargetType {
  static final String BASE = "sun.nio.ch.AsynchronousSocketChannelImpl";
  static final String UNIX = "sun.nio.ch.UnixAsynchronousSocketChannelImpl";

  private static final String FD = "Ljava/io/FileDescriptor;";
  private static final String BIND =
      "(Ljava/net/SocketAddress;)Ljava/nio/channels/AsynchronousSocketChannel;";
  private static final String IMPL_CONNECT =
      "(Ljava/net/SocketAddress;Ljava/lang/Object;Ljava/nio/channels/CompletionHandler;)"
          + "Ljava/util/concurrent/Future;";
  private static final String FINISH_CONNECT = "(Z)V";
  private static final String CLOSE = "()V";
  private static final int API = SocketHooks.API_ASYNC_SOCKET_CHANNEL;

  private final String className;

  private AsyncChannelHooks(String className) {
    this.className = className;
  }

  /** The bind hook, in the platform-independent base class. */
  static AsyncChannelHooks bind() {
    return new AsyncChannelHooks(BASE);
  }

  /** The connect and close hooks, in the Linux (and other Unix) implementation. */
  static AsyncChannelHooks unix() {
    return new AsyncChannelHooks(UNIX);
  }

  @Override
  public String className() {
    return className;
  }

  @Override
  public List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    return className.equals(BASE) ? bindHooks(shape, problems) : connectHooks(shape, problems);
  }

  private static List<MethodHook> bindHooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    final String local = shape.field("localAddress");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (local == null || !FD.equals(shape.field("fd")) || !shape.hasMethod("bind", BIND)) {
      problems.add(BASE + " lacks fd, localAddress or bind(SocketAddress)");
      return hooks;
    }
    hooks.add(SocketChannelImplHooks.bindHook("bind", BIND, owner, API));
    if (shape.hasMethod("getLocalAddress", SocketChannelImplHooks.GET_LOCAL)) {
      hooks.add(
          SocketChannelImplHooks.localReadHook(
              "getLocalAddress",
              SocketChannelImplHooks.GET_LOCAL,
              owner,
              "localAddress",
              local,
              API));
    } else {
      problems.add(BASE + " has no getLocalAddress(); local address reads there unseen");
    }
    return hooks;
  }

  private static List<MethodHook> connectHooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    final String pendingRemote = shape.field("pendingRemote");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (shape.hasMethod("implConnect", IMPL_CONNECT)) {
      hooks.add(
          new MethodHook("implConnect", IMPL_CONNECT) {
            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (handsOverOutcome(callee, name, descriptor)) {
                // The outcome is on top of the stack: copy it, add the channel and the requested
                // remote.
                outcome(mv);
              } else if (isBeforeTcpConnect(callee, name)) {
                dispatchBeforeConnect(mv, owner, API); // fd: AsynchronousSocketChannelImpl's
              } else if (callee.equals(owner) && name.equals("updateEvents")) {
                mv.visitInsn(Opcodes.ICONST_0);
                loadThis(mv);
                mv.visitVarInsn(Opcodes.ALOAD, 1);
                loadNull(mv);
                dispatch(mv, Entry.CONNECTED, 0, API, SocketHooks.CONNECTED);
              }
            }

            @Override
            void onThrow(MethodVisitor mv) {
              outcome(mv);
            }

            /** The outcome (a Throwable, null for success) on top: a copy, this, the remote. */
            private void outcome(MethodVisitor mv) {
              mv.visitInsn(Opcodes.DUP);
              loadThis(mv);
              mv.visitVarInsn(Opcodes.ALOAD, 1);
              loadNull(mv);
              dispatch(mv, Entry.CONNECT_OUTCOME, API);
            }
          });
    } else {
      problems.add(UNIX + " has no implConnect(SocketAddress, Object, CompletionHandler)");
    }
    if (pendingRemote != null && shape.hasMethod("finishConnect", FINISH_CONNECT)) {
      hooks.add(
          new MethodHook("finishConnect", FINISH_CONNECT) {
            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (handsOverOutcome(callee, name, descriptor)) {
                mv.visitInsn(Opcodes.DUP);
                loadThis(mv);
                loadField(mv, owner, "pendingRemote", pendingRemote);
                loadNull(mv);
                dispatch(mv, Entry.CONNECT_OUTCOME, API);
              }
            }
          });
    } else {
      problems.add(
          UNIX + " lacks pendingRemote or finishConnect(boolean); pending connects unseen");
    }
    if (shape.hasMethod("implClose", CLOSE)) {
      hooks.add(
          new MethodHook("implClose", CLOSE) {
            @Override
            void onEnter(MethodVisitor mv) {
              loadThis(mv);
              dispatch(mv, Entry.CLOSE, API, SocketHooks.CLOSING);
            }
          });
    } else {
      problems.add(UNIX + " has no implClose(); the port ledger relies on the kernel");
    }
    return hooks;
  }

  /**
   * The calls that pass a connect's outcome to the application; each takes the {@code Throwable}
   * (null for success) as its last argument, so it is on top of the stack at the call.
   */
  static boolean handsOverOutcome(String owner, String name, String descriptor) {
    if (!descriptor.endsWith("Ljava/lang/Throwable;)V")
        && !descriptor.endsWith("Ljava/lang/Throwable;)Lsun/nio/ch/CompletedFuture;")) {
      return false;
    }
    if (owner.equals("sun/nio/ch/CompletedFuture")) {
      return name.equals("withFailure") || name.equals("withResult");
    }
    if (owner.equals("sun/nio/ch/Invoker")) {
      return name.equals("invoke")
          || name.equals("invokeUnchecked")
          || name.equals("invokeIndirectly");
    }
    return owner.equals("sun/nio/ch/PendingFuture") && name.equals("setResult");
  }
}
