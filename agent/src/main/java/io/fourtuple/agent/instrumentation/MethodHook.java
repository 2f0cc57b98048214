package io.fourtuple.agent.instrumentation;

import io.fourtuple.bootstrap.SocketHooks;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * What is woven into one JDK method: a call at entry, a call before each return, a call when it
 * throws. Each piece only pushes values and calls a static {@code Dispatcher} method, so the woven
 * code has no branches and needs no new local variables; see {@link HookingMethodVisitor} for the
 * frame it adds.
 *
 * <p>A hook says each piece as one emitter call per dispatcher method ({@link #bind}, {@link
 * #connected}, ...), naming what it pushes with {@link Value}s: at this point, this event for this
 * API with these values.
 */
abstract class MethodHook {
  static final String DISPATCHER = "io/fourtuple/bootstrap/Dispatcher";

  /** The type of the JDK's {@code fd} fields. */
  static final String FD = "Ljava/io/FileDescriptor;";

  private static final String O = "Ljava/lang/Object;";
  private static final String T = "Ljava/lang/Throwable;";

  /**
   * Every {@code Dispatcher} method the woven code may call, with its descriptor: the only place
   * the weaver names one, so a test can link each against the dispatcher's declared methods.
   */
  enum Entry {
    LOCAL_READ("localRead", "(" + O + O + "II)V"),
    BIND("bind", "(" + O + O + O + "IZI)V"),
    BIND_FAILED("bindFailed", "(" + T + O + O + "II)V"),
    BEFORE_CONNECT("beforeConnect", "(" + O + O + "I)V"),
    CONNECTED("connected", "(Z" + O + O + O + "III)V"),
    CONNECT_OUTCOME("connectOutcome", "(" + T + O + O + O + "I)V"),
    CLOSE("close", "(" + O + "II)V"),
    SET_SO_LINGER("setSoLinger", "(" + O + "ZII)J"),
    SET_OPTION("setOption", "(" + O + O + O + "I)" + O),
    CHANNEL_CREATED("channelCreated", "(" + O + O + "I)V");

    final String method;
    final String descriptor;

    Entry(String method, String descriptor) {
      this.method = method;
      this.descriptor = descriptor;
    }
  }

  final String name;
  final String descriptor;

  /**
   * Whether the hook weaves code before returns / a catch-all handler: exactly when it overrides
   * {@link #beforeReturn} / {@link #onThrow}. Read once here from the hook's own class, so a hook
   * cannot define code that is never woven, nor a handler with nothing in it.
   */
  private final boolean hooksReturn;

  private final boolean hooksThrow;

  MethodHook(String name, String descriptor) {
    this.name = name;
    this.descriptor = descriptor;
    this.hooksReturn = overrides(getClass(), "beforeReturn");
    this.hooksThrow = overrides(getClass(), "onThrow");
  }

  /** Code at method entry. The operand stack is empty and must be left empty. */
  void onEnter(MethodVisitor mv) {}

  /** Code before each return. The return value, if any, is on the stack and must stay there. */
  void beforeReturn(MethodVisitor mv) {}

  /** Code in the catch-all handler. The throwable is on the stack and must stay there. */
  void onThrow(MethodVisitor mv) {}

  /**
   * Code before a call the method makes ({@code owner}, {@code name}, {@code descriptor} as in the
   * class file). The call's arguments are on the stack and must stay there; most calls add nothing.
   */
  void beforeCall(MethodVisitor mv, String owner, String name, String descriptor) {}

  final boolean hooksReturn() {
    return hooksReturn;
  }

  final boolean hooksThrow() {
    return hooksThrow;
  }

  private static boolean overrides(Class<?> hook, String method) {
    for (Class<?> c = hook; c != MethodHook.class; c = c.getSuperclass()) {
      try {
        c.getDeclaredMethod(method, MethodVisitor.class);
        return true;
      } catch (NoSuchMethodException notHere) {
        // look in the superclass
      }
    }
    return false;
  }

  /**
   * The JDK's own hook before a TCP bind, {@code sun.net.NetHooks.beforeTcpBind(fd, address,
   * port)}: every IP bind of a socket implementation, socket channel and asynchronous channel calls
   * it on JDK 8 to 25, after the JDK's own checks (open, not bound, not connecting, a resolved
   * address of the right family) and just before the native bind, holding the lock that excludes a
   * concurrent close. A bind hook placed there acts only on a socket the JDK itself is about to
   * bind.
   */
  static boolean isBeforeTcpBind(String owner, String name) {
    return owner.equals("sun/net/NetHooks") && name.equals("beforeTcpBind");
  }

  /**
   * The JDK's own hook before a TCP connect of a socket that never bound, {@code
   * sun.net.NetHooks.beforeTcpConnect(fd, address, port)}, the same on JDK 8 to 25: called by
   * {@code AbstractPlainSocketImpl.doConnect} (JDK 8-12), {@code NioSocketImpl.beginConnect} (13+),
   * {@code SocketChannelImpl.connect} (8) or {@code beginConnect} (11+) and {@code
   * UnixAsynchronousSocketChannelImpl.implConnect}, each only when the socket is not bound, after
   * the JDK's checks and holding its state lock.
   */
  static boolean isBeforeTcpConnect(String owner, String name) {
    return owner.equals("sun/net/NetHooks") && name.equals("beforeTcpConnect");
  }

  /**
   * A JDK bind ({@code SocketImpl.bind}, the socket channel's and the asynchronous channel's):
   * {@code bind(this, this.fd, requested, port, server, api)} just before its own call of {@code
   * NetHooks.beforeTcpBind}, {@code bindFailed(thrown, this, requested, port, api)} when it throws.
   * The requested address is the first parameter; channels pass port 0 (it is in the address) and
   * are never listeners.
   */
  static class JdkBind extends MethodHook {
    private final Value fd;
    private final Value port;
    private final Value server;
    private final int api;

    JdkBind(String name, String descriptor, String owner, Value port, Value server, int api) {
      super(name, descriptor);
      this.fd = field(owner, "fd", FD);
      this.port = port;
      this.server = server;
      this.api = api;
    }

    @Override
    final void beforeCall(MethodVisitor mv, String callee, String method, String calleeDescriptor) {
      if (isBeforeTcpBind(callee, method)) {
        bind(mv, Fixed.THIS, fd, parameter(1), port, server, api);
      }
    }

    @Override
    final void onThrow(MethodVisitor mv) {
      bindFailed(mv, Fixed.TOP, Fixed.THIS, parameter(1), port, api);
    }
  }

  /** A hook that only reports {@link Entry#BEFORE_CONNECT} before {@code beforeTcpConnect}. */
  static MethodHook beforeConnectHook(
      String name, String descriptor, final String owner, final int api) {
    final Value fd = field(owner, "fd", FD);
    return new MethodHook(name, descriptor) {
      @Override
      void beforeCall(MethodVisitor mv, String callee, String method, String calleeDescriptor) {
        if (isBeforeTcpConnect(callee, method)) {
          beforeConnect(mv, Fixed.THIS, fd, api);
        }
      }
    };
  }

  /**
   * Entry of a channel's local address getter: {@code localRead(this, local, 0, api)}.
   *
   * @param local the field that caches the channel's local address
   */
  static MethodHook localReadHook(
      String name, String descriptor, final Value local, final int api) {
    return new MethodHook(name, descriptor) {
      @Override
      void onEnter(MethodVisitor mv) {
        localRead(mv, Fixed.THIS, local, Fixed.ZERO, api);
      }
    };
  }

  /**
   * A {@code close} of the port ledger's record at the entry of a {@code ()V} method that closes
   * the socket once: {@code close(this, api, CLOSING)}.
   */
  static MethodHook closingHook(String name, final int api) {
    return new MethodHook(name, "()V") {
      @Override
      void onEnter(MethodVisitor mv) {
        close(mv, Fixed.THIS, api, SocketHooks.CLOSING);
      }
    };
  }

  /**
   * One value the woven code pushes for a dispatcher call: one or two instructions, no branch, no
   * new local variable.
   */
  interface Value {
    void push(MethodVisitor mv);
  }

  /** Values that need nothing from the hooked class. */
  enum Fixed implements Value {
    THIS(Opcodes.ALOAD),
    NULL(Opcodes.ACONST_NULL),
    ZERO(Opcodes.ICONST_0),
    FALSE(Opcodes.ICONST_0),
    TRUE(Opcodes.ICONST_1),
    /**
     * A copy of the value on top of the stack, which stays below for the method: the return value
     * before a return, the throwable in the handler, the outcome before a call that hands it over.
     */
    TOP(Opcodes.DUP);

    private final int opcode;

    Fixed(int opcode) {
      this.opcode = opcode;
    }

    @Override
    public void push(MethodVisitor mv) {
      if (this == THIS) {
        mv.visitVarInsn(Opcodes.ALOAD, 0);
      } else {
        mv.visitInsn(opcode);
      }
    }
  }

  /**
   * A reference parameter of the hooked method, read from its slot ({@code this} is 0), which javac
   * never reuses for another value.
   */
  static Value parameter(int slot) {
    return load(Opcodes.ALOAD, slot);
  }

  /** An {@code int} or {@code boolean} parameter of the hooked method, as {@link #parameter}. */
  static Value intParameter(int slot) {
    return load(Opcodes.ILOAD, slot);
  }

  private static Value load(final int opcode, final int slot) {
    return new Value() {
      @Override
      public void push(MethodVisitor mv) {
        mv.visitVarInsn(opcode, slot);
      }
    };
  }

  /** A field of {@code this}, declared by {@code owner} with {@code descriptor} (as read). */
  static Value field(final String owner, final String name, final String descriptor) {
    return new Value() {
      @Override
      public void push(MethodVisitor mv) {
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, owner, name, descriptor);
      }
    };
  }

  // One emitter per Entry, in the dispatcher method's parameter order: a Value for each argument
  // read at run time, an int for each constant (the API, the event).

  static void localRead(MethodVisitor mv, Value socket, Value local, Value port, int api) {
    push(mv, socket, local, port);
    dispatch(mv, Entry.LOCAL_READ, api);
  }

  static void bind(
      MethodVisitor mv, Value socket, Value fd, Value local, Value port, Value server, int api) {
    push(mv, socket, fd, local, port, server);
    dispatch(mv, Entry.BIND, api);
  }

  static void bindFailed(
      MethodVisitor mv, Value thrown, Value socket, Value local, Value port, int api) {
    push(mv, thrown, socket, local, port);
    dispatch(mv, Entry.BIND_FAILED, api);
  }

  static void beforeConnect(MethodVisitor mv, Value socket, Value fd, int api) {
    push(mv, socket, fd);
    dispatch(mv, Entry.BEFORE_CONNECT, api);
  }

  /** {@code event}: {@code SocketHooks.CONNECTED} or {@code FINISH_CONNECT}. */
  static void connected(
      MethodVisitor mv,
      Value result,
      Value socket,
      Value remote,
      Value local,
      Value port,
      int api,
      int event) {
    push(mv, result, socket, remote, local, port);
    dispatch(mv, Entry.CONNECTED, api, event);
  }

  static void connectOutcome(
      MethodVisitor mv, Value failure, Value socket, Value remote, Value local, int api) {
    push(mv, failure, socket, remote, local);
    dispatch(mv, Entry.CONNECT_OUTCOME, api);
  }

  /** {@code event}: one of {@code SocketHooks.CLOSING}, {@code LINGER_CLOSING}, ... */
  static void close(MethodVisitor mv, Value socket, int api, int event) {
    socket.push(mv);
    dispatch(mv, Entry.CLOSE, api, event);
  }

  /** Leaves the packed {@code long} (on, linger) on the stack. */
  static void setSoLinger(MethodVisitor mv, Value socket, Value on, Value linger, int api) {
    push(mv, socket, on, linger);
    dispatch(mv, Entry.SET_SO_LINGER, api);
  }

  /** Leaves the value to set on the stack. */
  static void setOption(MethodVisitor mv, Value socket, Value option, Value value, int api) {
    push(mv, socket, option, value);
    dispatch(mv, Entry.SET_OPTION, api);
  }

  static void channelCreated(MethodVisitor mv, Value channel, Value parent, int api) {
    push(mv, channel, parent);
    dispatch(mv, Entry.CHANNEL_CREATED, api);
  }

  private static void push(MethodVisitor mv, Value... values) {
    for (Value value : values) {
      value.push(mv);
    }
  }

  /**
   * Pushes the {@code int} constants (API, event) and calls {@code entry}: how every emitter above
   * ends. A hook calls it itself only where it pushes what no {@link Value} names: values already
   * on the stack reshuffled into place, a boxed argument.
   */
  static void dispatch(MethodVisitor mv, Entry entry, int... constants) {
    for (int c : constants) {
      if (c >= -1 && c <= 5) {
        mv.visitInsn(Opcodes.ICONST_0 + c);
      } else {
        mv.visitIntInsn(Opcodes.BIPUSH, c);
      }
    }
    mv.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, entry.method, entry.descriptor, false);
  }
}
