package io.fourtuple.agent.instrumentation;

import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * What is woven into one JDK method: a call at entry, a call before each return, a call when it
 * throws. Each piece only pushes values and calls a static {@code Dispatcher} method, so the woven
 * code has no branches and needs no new local variables; see {@link HookingMethodVisitor} for the
 * frame it adds.
 */
abstract class MethodHook {
  static final String DISPATCHER = "io/fourtuple/bootstrap/Dispatcher";

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
   * Pushes {@code this} and every argument of the hooked method, in order: the common tail of a
   * dispatcher call. Arguments are read from their parameter slots, which javac never reuses.
   */
  final void loadThisAndArguments(MethodVisitor mv) {
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    int slot = 1;
    for (Type argument : Type.getArgumentTypes(descriptor)) {
      mv.visitVarInsn(argument.getOpcode(Opcodes.ILOAD), slot);
      slot += argument.getSize();
    }
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

  /** {@code beforeConnect(this, this.fd, api)}, read from the field {@code fd} of {@code owner}. */
  static void dispatchBeforeConnect(MethodVisitor mv, String owner, int api) {
    loadThis(mv);
    loadField(mv, owner, "fd", "Ljava/io/FileDescriptor;");
    dispatch(mv, Entry.BEFORE_CONNECT, api);
  }

  /** A hook that only reports {@link Entry#BEFORE_CONNECT} before {@code beforeTcpConnect}. */
  static MethodHook beforeConnect(
      String name, String descriptor, final String owner, final int api) {
    return new MethodHook(name, descriptor) {
      @Override
      void beforeCall(MethodVisitor mv, String callee, String method, String calleeDescriptor) {
        if (isBeforeTcpConnect(callee, method)) {
          dispatchBeforeConnect(mv, owner, api);
        }
      }
    };
  }

  /** Pushes the {@code int} constants (API, event, a zero port) and calls {@code entry}. */
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

  static void loadNull(MethodVisitor mv) {
    mv.visitInsn(Opcodes.ACONST_NULL);
  }

  static void loadThis(MethodVisitor mv) {
    mv.visitVarInsn(Opcodes.ALOAD, 0);
  }

  static void loadField(MethodVisitor mv, String owner, String field, String descriptor) {
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    mv.visitFieldInsn(Opcodes.GETFIELD, owner, field, descriptor);
  }
}
