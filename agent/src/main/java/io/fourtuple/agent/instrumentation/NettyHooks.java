package io.fourtuple.agent.instrumentation;

import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.FALSE;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.NULL;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.THIS;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TOP;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.TRUE;
import static io.fourtuple.agent.instrumentation.MethodHook.Fixed.ZERO;
import static io.fourtuple.agent.instrumentation.MethodHook.field;
import static io.fourtuple.agent.instrumentation.MethodHook.intParameter;
import static io.fourtuple.agent.instrumentation.MethodHook.parameter;

import io.fourtuple.agent.instrumentation.MethodHook.Entry;
import io.fourtuple.agent.instrumentation.MethodHook.Value;
import io.fourtuple.bootstrap.SocketHooks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Netty's native transports (epoll, io_uring) and the constructors of its client channels (epoll,
 * io_uring, NIO: where the application's call site is taken, see {@code created}).
 *
 * <p>Netty's epoll transport opens, binds, connects and closes its sockets in its own native code,
 * never through {@code java.net} or {@code sun.nio.ch}. The application's own Netty classes are
 * woven, in whatever class loader defines them, matched by name suffix so relocated copies (gRPC's
 * {@code io.grpc.netty.shaded.io.netty}) are covered too. Checked with {@code javap} on 4.1.60,
 * 4.1.140 and 4.2.20, which have the same shape:
 *
 * <ul>
 *   <li>{@code channel.epoll.AbstractEpollChannel}: {@code doBind(SocketAddress)} (an explicit
 *       bind, of any epoll channel: client, server, datagram, domain), {@code
 *       doConnect(SocketAddress remote, SocketAddress local)} (binds {@code local} itself first
 *       when it is not null, then connects; sets the {@code local} field before it returns), {@code
 *       doClose()} (closes the socket; once per channel). The channel is the port ledger's
 *       identity; its field {@code socket} (a {@code LinuxSocket}) holds the descriptor and is
 *       SO_LINGER's identity.
 *   <li>{@code channel.epoll.AbstractEpollChannel$AbstractEpollUnsafe}: {@code doFinishConnect()},
 *       where a pending connect completes; the channel comes from {@code this$0}, its socket and
 *       addresses are read by the agent's core (the outer class's fields are private to it).
 *   <li>{@code channel.unix.Socket.setSoLinger(int)}: every epoll SO_LINGER set ends there
 *       (negative: off); the entry rewrites its argument as {@link LingerHooks} does for the JDK.
 *   <li>{@code channel.epoll.LinuxSocket.setIpBindAddressNoPort(boolean)} (Netty 4.1.61+): the
 *       application set Netty's own option, and its channel is left alone.
 * </ul>
 *
 * <p>Netty's io_uring transport (4.2 {@code channel.uring}, the 4.1 incubator's {@code
 * incubator.channel.uring}, same shape; checked with {@code javap} on 4.2.18 and 0.0.26) gets the
 * same, reported as {@code API_NETTY_IO_URING}: its {@code AbstractIoUringChannel} has the same
 * {@code doBind}, {@code localAddress0} and {@code doClose}; it has no {@code doConnect}, so its
 * {@code $AbstractUringUnsafe.connect} is woven instead ({@link #uringUnsafe}); its {@code
 * LinuxSocket} extends {@code unix.Socket}, whose {@code setSoLinger} hook covers it; it has no
 * option of its own for IP_BIND_ADDRESS_NO_PORT.
 *
 * <p>Hazards: which channel is a TCP client is decided in the core (server, datagram and
 * unix-domain channels pass through the same methods); the woven code reads only fields of the
 * class it is woven into, whose descriptors are taken from the class file, so a Netty of another
 * shape is left unchanged and reported instead of failing at run time.
 */
final class NettyHooks extends TargetType {
  static final String CHANNEL = "io.netty.channel.epoll.AbstractEpollChannel";
  static final String UNSAFE = CHANNEL + "$AbstractEpollUnsafe";
  static final String UNIX_SOCKET = "io.netty.channel.unix.Socket";
  static final String LINUX_SOCKET = "io.netty.channel.epoll.LinuxSocket";
  static final String URING_CHANNEL = "io.netty.channel.uring.AbstractIoUringChannel";
  static final String INCUBATOR_CHANNEL = "io.netty.incubator.channel.uring.AbstractIOUringChannel";
  static final String URING_UNSAFE = "$AbstractUringUnsafe";
  static final String NIO_CHANNEL = "io.netty.channel.nio.AbstractNioChannel";

  private static final String SOCKET_ADDRESS = "Ljava/net/SocketAddress;";
  private static final int EPOLL = SocketHooks.API_NETTY_EPOLL;
  private static final int URING = SocketHooks.API_NETTY_IO_URING;
  private static final String EPOLL_SOCKET = "/epoll/LinuxSocket;";
  private static final String URING_SOCKET = "/uring/LinuxSocket;";

  private final int api;

  private NettyHooks(String className, int api) {
    super(className);
    this.api = api;
  }

  /** The target types of both transports, for the weaver's suffix table. */
  static List<TargetType> all() {
    return Arrays.<TargetType>asList(
        new NettyHooks(CHANNEL, EPOLL),
        new NettyHooks(UNSAFE, EPOLL),
        new NettyHooks(UNIX_SOCKET, EPOLL),
        new NettyHooks(LINUX_SOCKET, EPOLL),
        new NettyHooks(URING_CHANNEL, URING),
        new NettyHooks(URING_CHANNEL + URING_UNSAFE, URING),
        new NettyHooks(INCUBATOR_CHANNEL, URING),
        new NettyHooks(INCUBATOR_CHANNEL + URING_UNSAFE, URING),
        new NettyHooks(NIO_CHANNEL, SocketHooks.API_SOCKET_CHANNEL));
  }

  @Override
  List<MethodHook> hooks(ClassShape shape, List<String> problems) {
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    String name = shape.internalName.replace('/', '.');
    String className = className();
    if (className.equals(NIO_CHANNEL)) {
      created(shape, name, hooks, problems, SocketHooks.API_SOCKET_CHANNEL);
    } else if (className.equals(CHANNEL)) {
      channel(shape, name, hooks, problems, api, EPOLL_SOCKET);
    } else if (className.endsWith(URING_UNSAFE)) {
      uringUnsafe(shape, name, hooks, problems);
    } else if (api == URING) {
      channel(shape, name, hooks, problems, api, URING_SOCKET);
    } else if (className.equals(UNSAFE)) {
      String outer = shape.field("this$0");
      if (outer != null && shape.hasMethod("doFinishConnect", "()Z")) {
        hooks.add(finishConnect(shape.internalName, outer));
      } else {
        problems.add(name + " lacks this$0 or doFinishConnect(); pending connects are not counted");
      }
    } else if (className.equals(UNIX_SOCKET)) {
      if (shape.hasMethod("setSoLinger", "(I)V")) {
        hooks.add(setSoLingerHook());
      } else {
        problems.add(name + " has no setSoLinger(int); its SO_LINGER sets are not seen");
      }
    } else if (shape.hasMethod("setIpBindAddressNoPort", "(Z)V")) {
      hooks.add(ownNoPortHook());
    }
    // A LinuxSocket without the method is a Netty that predates the option (before 4.1.61): nothing
    // for the application to have set.
    return hooks;
  }

  /**
   * {@code AbstractEpollChannel}, {@code AbstractIoUringChannel} and the incubator's {@code
   * AbstractIOUringChannel}: the same {@code doBind}, {@code localAddress0} and {@code doClose};
   * only epoll has {@code doConnect} (io_uring connects in its unsafe, {@link #uringUnsafe}).
   */
  private static void channel(
      ClassShape shape,
      String name,
      List<MethodHook> hooks,
      List<String> problems,
      final int api,
      String socketType) {
    String owner = shape.internalName;
    String socketField = shape.field("socket");
    String localField = shape.field("local");
    if (socketField == null || !socketField.endsWith(socketType)) {
      problems.add(name + " has no field socket of type LinuxSocket; its channels are not hooked");
      return;
    }
    final Value socket = field(owner, "socket", socketField);
    final Value local = localField == null ? null : field(owner, "local", localField);
    created(shape, name, hooks, problems, api);
    String bind = "(" + SOCKET_ADDRESS + ")V";
    if (shape.hasMethod("doBind", bind)) {
      hooks.add(
          new MethodHook("doBind", bind) {
            @Override
            void onEnter(MethodVisitor mv) {
              bind(mv, THIS, socket, parameter(1), ZERO, FALSE, api);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              bindFailed(mv, TOP, THIS, parameter(1), ZERO, api);
            }
          });
    } else {
      problems.add(name + " has no doBind(SocketAddress)");
    }
    String connect = "(" + SOCKET_ADDRESS + SOCKET_ADDRESS + ")Z";
    if (api == URING) {
      // No doConnect: see uringUnsafe.
    } else if (shape.hasMethod("doConnect", connect) && local != null) {
      hooks.add(
          new MethodHook("doConnect", connect) {
            @Override
            void onEnter(MethodVisitor mv) {
              // Binds local itself first when it is not null (the core skips a null one).
              bind(mv, THIS, socket, parameter(2), ZERO, FALSE, api);
            }

            @Override
            void beforeReturn(MethodVisitor mv) {
              connected(mv, TOP, THIS, parameter(1), local, ZERO, api, SocketHooks.CONNECTED);
            }

            @Override
            void onThrow(MethodVisitor mv) {
              // Its own bind or the connect: the core tells them apart by Netty's message.
              connectOutcome(mv, TOP, THIS, parameter(1), parameter(2), api);
            }
          });
    } else {
      problems.add(name + " has no doConnect(SocketAddress,SocketAddress) or no field local");
    }
    // localAddress0(): where AbstractChannel.localAddress() reads the channel's local address (and
    // caches it): a channel whose port the agent deferred gets its port first.
    if (local != null && shape.hasMethod("localAddress0", "()" + SOCKET_ADDRESS)) {
      hooks.add(MethodHook.localReadHook("localAddress0", "()" + SOCKET_ADDRESS, local, api));
    } else {
      problems.add(name + " has no localAddress0() or no field local; its reads are unseen");
    }
    if (shape.hasMethod("doClose", "()V")) {
      hooks.add(
          new LingerHooks.TimedClose("doClose", socket, api) {
            @Override
            void onEnter(MethodVisitor mv) {
              close(mv, THIS, api, SocketHooks.CLOSING); // the port ledger's, then the timing
              super.onEnter(mv);
            }
          });
    } else {
      problems.add(name + " has no doClose(); the port ledger relies on the kernel for it");
    }
  }

  /**
   * Every constructor whose first parameter is the parent {@code Channel} (descriptors differ
   * between 4.1 and 4.2), before it returns, on the thread that asked for the channel: {@code
   * channelCreated(this, parent, api)}; for NIO, {@code AbstractNioChannel(Channel,
   * SelectableChannel, ...)} reports its JDK channel, which the JDK hooks key on.
   */
  private static void created(
      ClassShape shape, String name, List<MethodHook> hooks, List<String> problems, final int api) {
    int before = hooks.size();
    boolean nio = api == SocketHooks.API_SOCKET_CHANNEL;
    for (String descriptor : shape.descriptors("<init>")) {
      Type[] parameters = Type.getArgumentTypes(descriptor);
      if (parameters.length < (nio ? 2 : 1)
          || !parameters[0].getInternalName().endsWith("io/netty/channel/Channel")
          || (nio
              && !parameters[1].getInternalName().equals("java/nio/channels/SelectableChannel"))) {
        continue;
      }
      final Value channel = nio ? parameter(2) : THIS;
      hooks.add(
          new MethodHook("<init>", descriptor) {
            @Override
            void beforeReturn(MethodVisitor mv) {
              channelCreated(mv, channel, parameter(1), api);
            }
          });
    }
    if (hooks.size() == before) {
      problems.add(
          name + " has no constructor (Channel, ...); its connects name event-loop frames");
    }
  }

  /**
   * io_uring's {@code $AbstractUringUnsafe} (4.2 and the incubator, same shape): {@code
   * connect(remote, local, promise)} binds {@code local} itself when it is not null, after Netty's
   * own checks, with a synchronous bind(2), then submits the connect; it completes in one of the
   * two {@code fulfillConnectPromise}. The woven code reads {@code this$0} only; the channel's
   * socket is taken from the stack of the bind call.
   */
  private static void uringUnsafe(
      ClassShape shape, String name, List<MethodHook> hooks, List<String> problems) {
    String owner = shape.internalName;
    String outer = shape.field("this$0");
    // A relocated copy has Netty's ChannelPromise under the same prefix as its own package.
    String promise =
        "L"
            + owner.substring(0, owner.lastIndexOf("io/netty/"))
            + "io/netty/channel/ChannelPromise;";
    String connect = "(" + SOCKET_ADDRESS + SOCKET_ADDRESS + promise + ")V";
    String success = "(" + promise + "Z)V";
    String failure = "(" + promise + "Ljava/lang/Throwable;)V";
    if (outer == null
        || !shape.hasMethod("connect", connect)
        || !shape.hasMethod("fulfillConnectPromise", success)
        || !shape.hasMethod("fulfillConnectPromise", failure)) {
      problems.add(name + " lacks this$0, connect() or fulfillConnectPromise(); not hooked");
      return;
    }
    final Value channel = field(owner, "this$0", outer);
    hooks.add(
        new MethodHook("connect", connect) {
          @Override
          void onEnter(MethodVisitor mv) {
            // What epoll's doConnect reports without a local address (the socket is read from the
            // channel by whoever needs it).
            bind(mv, channel, NULL, NULL, ZERO, FALSE, URING);
          }

          @Override
          void beforeCall(MethodVisitor mv, String callee, String method, String descriptor) {
            if (method.equals("bind")
                && (callee + ";").endsWith(URING_SOCKET)
                && descriptor.equals("(" + SOCKET_ADDRESS + ")V")) {
              // [socket, local] -> [channel, socket, local] for the call, kept below for bind.
              mv.visitInsn(Opcodes.DUP2);
              channel.push(mv);
              mv.visitInsn(Opcodes.DUP_X2);
              mv.visitInsn(Opcodes.POP);
              dispatch(mv, Entry.BIND, 0, 0, URING);
            } else if (method.equals("annotateConnectException")
                && descriptor.equals(
                    "(Ljava/lang/Throwable;" + SOCKET_ADDRESS + ")Ljava/lang/Throwable;")) {
              // Its bind or the connect's submission failed: [thrown, remote] -> [thrown,
              // channel, remote, local].
              mv.visitInsn(Opcodes.DUP2);
              channel.push(mv);
              mv.visitInsn(Opcodes.SWAP);
              parameter(2).push(mv);
              dispatch(mv, Entry.CONNECT_OUTCOME, URING);
            }
          }
        });
    hooks.add(
        new MethodHook("fulfillConnectPromise", success) {
          @Override
          void onEnter(MethodVisitor mv) {
            connected(mv, TRUE, channel, NULL, NULL, ZERO, URING, SocketHooks.FINISH_CONNECT);
          }
        });
    hooks.add(
        new MethodHook("fulfillConnectPromise", failure) {
          @Override
          void onEnter(MethodVisitor mv) {
            connectOutcome(mv, parameter(2), channel, NULL, NULL, URING);
          }
        });
  }

  /**
   * The unsafe cannot read its channel's private fields: the addresses go as null and the core
   * reads them from the channel.
   */
  private static MethodHook finishConnect(String owner, String outer) {
    final Value channel = field(owner, "this$0", outer);
    return new MethodHook("doFinishConnect", "()Z") {
      @Override
      void beforeReturn(MethodVisitor mv) {
        connected(mv, TOP, channel, NULL, NULL, ZERO, EPOLL, SocketHooks.FINISH_CONNECT);
      }

      @Override
      void onThrow(MethodVisitor mv) {
        connectOutcome(mv, TOP, channel, NULL, NULL, EPOLL);
      }
    };
  }

  /** {@code unix.Socket.setSoLinger(int)} (negative: off): the argument is rewritten in place. */
  private static MethodHook setSoLingerHook() {
    return new MethodHook("setSoLinger", "(I)V") {
      @Override
      void onEnter(MethodVisitor mv) {
        setSoLinger(mv, THIS, TRUE, intParameter(1), EPOLL);
        mv.visitInsn(Opcodes.L2I);
        mv.visitVarInsn(Opcodes.ISTORE, 1);
      }
    };
  }

  /** Netty's own option, reported as an option set whose value is not changed. */
  private static MethodHook ownNoPortHook() {
    return new MethodHook("setIpBindAddressNoPort", "(Z)V") {
      @Override
      void onEnter(MethodVisitor mv) {
        THIS.push(mv);
        mv.visitLdcInsn(SocketHooks.NETTY_OWN_NO_PORT);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitMethodInsn(
            Opcodes.INVOKESTATIC, "java/lang/Boolean", "valueOf", "(Z)Ljava/lang/Boolean;", false);
        dispatch(mv, Entry.SET_OPTION, EPOLL);
        mv.visitInsn(Opcodes.POP);
      }
    };
  }
}
