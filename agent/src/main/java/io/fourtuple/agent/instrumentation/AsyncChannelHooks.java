package io.fourtuple.agent.instrumentation;

import static io.fourtuple.agent.instrumentation.MethodHook.FD;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.FALSE;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.NULL;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.THIS;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TOP;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.ZERO;
import static io.fourtuple.agent.instrumentation.MethodHook.field;
import static io.fourtuple.agent.instrumentation.MethodHook.parameter;

import io.fourtuple.agent.instrumentation.MethodHook.Value;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;

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
final class AsyncChannelHooks extends TargetType {
  static final String BASE = "sun.nio.ch.AsynchronousSocketChannelImpl";
  static final String UNIX = "sun.nio.ch.UnixAsynchronousSocketChannelImpl";

  private static final String BIND =
      "(Ljava/net/SocketAddress;)Ljava/nio/channels/AsynchronousSocketChannel;";
  private static final String IMPL_CONNECT =
      "(Ljava/net/SocketAddress;Ljava/lang/Object;Ljava/nio/channels/CompletionHandler;)"
          + "Ljava/util/concurrent/Future;";
  private static final String FINISH_CONNECT = "(Z)V";
  private static final String CLOSE = "()V";
  private static final int API = SocketHooks.API_ASYNC_SOCKET_CHANNEL;

  private AsyncChannelHooks(String className) {
    super(className);
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
  List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    return className().equals(BASE) ? bindHooks(shape, problems) : connectHooks(shape, problems);
  }

  private static List<MethodHook> bindHooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    final String local = shape.field("localAddress");
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (local == null || !FD.equals(shape.field("fd")) || !shape.hasMethod("bind", BIND)) {
      problems.add(BASE + " lacks fd, localAddress or bind(SocketAddress)");
      return hooks;
    }
    hooks.add(new MethodHook.JdkBind("bind", BIND, owner, ZERO, FALSE, API));
    if (shape.hasMethod("getLocalAddress", SocketChannelImplHooks.GET_LOCAL)) {
      hooks.add(
          MethodHook.localReadHook(
              "getLocalAddress",
              SocketChannelImplHooks.GET_LOCAL,
              field(owner, "localAddress", local),
              API));
    } else {
      problems.add(BASE + " has no getLocalAddress(); local address reads there unseen");
    }
    return hooks;
  }

  private static List<MethodHook> connectHooks(ClassShape shape, List<String> problems) {
    final String owner = shape.internalName;
    String pendingRemoteType = shape.field("pendingRemote");
    final Value fd = field(owner, "fd", FD); // AsynchronousSocketChannelImpl's
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    if (shape.hasMethod("implConnect", IMPL_CONNECT)) {
      hooks.add(
          new MethodHook("implConnect", IMPL_CONNECT) {
            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (handsOverOutcome(callee, name, descriptor)) {
                // The outcome (a Throwable, null for success) is on top of the stack.
                connectOutcome(mv, TOP, THIS, parameter(1), NULL, API);
              } else if (isBeforeTcpConnect(callee, name)) {
                beforeConnect(mv, THIS, fd, API);
              } else if (callee.equals(owner) && name.equals("updateEvents")) {
                connected(mv, FALSE, THIS, parameter(1), NULL, ZERO, API, SocketHooks.CONNECTED);
              }
            }

            @Override
            void onThrow(MethodVisitor mv) {
              connectOutcome(mv, TOP, THIS, parameter(1), NULL, API);
            }
          });
    } else {
      problems.add(UNIX + " has no implConnect(SocketAddress, Object, CompletionHandler)");
    }
    if (pendingRemoteType != null && shape.hasMethod("finishConnect", FINISH_CONNECT)) {
      final Value pendingRemote = field(owner, "pendingRemote", pendingRemoteType);
      hooks.add(
          new MethodHook("finishConnect", FINISH_CONNECT) {
            @Override
            void beforeCall(MethodVisitor mv, String callee, String name, String descriptor) {
              if (handsOverOutcome(callee, name, descriptor)) {
                connectOutcome(mv, TOP, THIS, pendingRemote, NULL, API);
              }
            }
          });
    } else {
      problems.add(
          UNIX + " lacks pendingRemote or finishConnect(boolean); pending connects unseen");
    }
    if (shape.hasMethod("implClose", CLOSE)) {
      hooks.add(MethodHook.closingHook("implClose", API));
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
