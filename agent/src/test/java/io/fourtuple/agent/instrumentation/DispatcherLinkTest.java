package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.instrumentation.MethodHook.Entry;
import io.fourtuple.bootstrap.Dispatcher;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import org.junit.jupiter.api.Test;

/**
 * Every call the weaver can emit links: the dispatcher has a public static method of that owner,
 * name and exactly that descriptor. A mismatch would throw {@code NoSuchMethodError} inside an
 * application's socket call; here it fails the build instead. The calls are collected from what the
 * weaver really emits into this JDK's socket classes and into stand-ins shaped like Netty's epoll,
 * io_uring and NIO classes (which are also loaded, so the verifier checks the pushed arguments
 * against the descriptors, io_uring's reshuffles of what is on the stack included); together they
 * must use every {@link Entry}, and the dispatcher must offer nothing else.
 */
class DispatcherLinkTest {
  /** The dispatcher's own lifecycle, called by the agent, never by woven code. */
  private static final Set<String> LIFECYCLE = Set.of("install", "reset", "markAgentThread");

  private static byte[] classFile(String binaryName) throws Exception {
    try (InputStream in =
        ClassLoader.getSystemResourceAsStream(binaryName.replace('.', '/') + ".class")) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /** The calls into the bootstrap zone in {@code woven}, as owner.name+descriptor. */
  static Set<String> bootstrapCalls(byte[] woven) {
    Set<String> calls = new LinkedHashSet<>();
    new ClassReader(woven)
        .accept(
            new ClassVisitor(Opcodes.ASM9) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                return new MethodVisitor(Opcodes.ASM9) {
                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String method, String desc, boolean itf) {
                    if (owner.startsWith("io/fourtuple/")) {
                      assertEquals(Opcodes.INVOKESTATIC, opcode, method);
                      calls.add(owner + "." + method + desc);
                    }
                  }
                };
              }
            },
            0);
    return calls;
  }

  private static String call(Entry entry) {
    return MethodHook.DISPATCHER + "." + entry.method + entry.descriptor;
  }

  @Test
  void everyEntryIsADispatcherMethodAndTheDispatcherHasNoOther() {
    Set<String> declared = new TreeSet<>();
    for (Method m : Dispatcher.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !LIFECYCLE.contains(m.getName())) {
        assertTrue(Modifier.isStatic(m.getModifiers()), m::toString);
        declared.add(MethodHook.DISPATCHER + "." + m.getName() + Type.getMethodDescriptor(m));
      }
    }
    Set<String> entries = new TreeSet<>();
    for (Entry e : Entry.values()) {
      entries.add(call(e));
    }
    assertEquals(entries, declared);
    assertEquals(
        Type.getInternalName(Dispatcher.class), MethodHook.DISPATCHER, "the woven call's owner");
    assertTrue(declared.size() + LIFECYCLE.size() <= 15, declared::toString);
  }

  @Test
  void everyCallWovenIntoThisJdkAndIntoNettyIsAnEntry() throws Exception {
    Set<String> entries = new TreeSet<>();
    for (Entry e : Entry.values()) {
      entries.add(call(e));
    }
    Set<String> seen = new TreeSet<>();

    List<TargetType> targets = Installer.jdkTargets();
    SocketWeaver jdk = new SocketWeaver(targets);
    List<String> woven = new ArrayList<>();
    for (TargetType type : targets) {
      byte[] original = classFile(type.className());
      if (original == null) {
        continue; // not in this JDK (AbstractPlainSocketImpl is gone in 18+)
      }
      byte[] result = jdk.transform(null, type.className().replace('.', '/'), null, null, original);
      assertNotNull(result, () -> type.className() + " not woven: " + jdk.problems());
      woven.add(type.className());
      seen.addAll(bootstrapCalls(result));
    }
    assertTrue(jdk.problems().isEmpty(), jdk.problems()::toString);
    assertTrue(woven.size() >= 6, woven::toString);

    SocketWeaver netty = new SocketWeaver(List.of(), NettyHooks.all());
    Map<String, byte[]> nettyClasses = new HashMap<>();
    for (Map.Entry<String, byte[]> standIn : NettyStandIns.all().entrySet()) {
      String name = standIn.getKey();
      byte[] result = netty.transform(null, name, null, null, standIn.getValue());
      if (result == null && NettyStandIns.NOT_HOOKED.contains(name)) {
        result = standIn.getValue();
      }
      assertNotNull(result, () -> name + " not woven: " + netty.problems());
      seen.addAll(bootstrapCalls(result));
      nettyClasses.put(name.replace('/', '.'), result);
    }
    assertTrue(netty.problems().isEmpty(), netty.problems()::toString);
    NettyStandIns.loadAndVerify(nettyClasses);

    for (String call : seen) {
      assertTrue(entries.contains(call), () -> call + " is not a dispatcher entry: " + entries);
    }
    Set<Entry> unused = EnumSet.allOf(Entry.class);
    unused.removeIf(e -> seen.contains(call(e)));
    assertTrue(unused.isEmpty(), () -> "entries the weaver never emits: " + unused);
  }

  /**
   * Classes shaped like Netty's epoll and io_uring transports and its NIO channel (fields and
   * methods the hooks need, no logic beyond the calls the io_uring hooks are woven around).
   */
  static final class NettyStandIns {
    static final String UNIX_SOCKET = "io/netty/channel/unix/Socket";
    static final String LINUX_SOCKET = "io/netty/channel/epoll/LinuxSocket";
    static final String CHANNEL = "io/netty/channel/epoll/AbstractEpollChannel";
    static final String UNSAFE = CHANNEL + "$AbstractEpollUnsafe";
    static final String NIO_CHANNEL = "io/netty/channel/nio/AbstractNioChannel";
    static final String URING_SOCKET = "io/netty/channel/uring/LinuxSocket";
    static final String URING_CHANNEL = "io/netty/channel/uring/AbstractIoUringChannel";
    static final String URING_UNSAFE = URING_CHANNEL + "$AbstractUringUnsafe";
    static final String CHANNEL_PROMISE = "io/netty/channel/ChannelPromise";
    private static final String PROMISE = "L" + CHANNEL_PROMISE + ";";

    /**
     * Loaded for the others to link against, not a hook target (its SO_LINGER is unix.Socket's).
     */
    static final Set<String> NOT_HOOKED = Set.of(URING_SOCKET, CHANNEL_PROMISE);

    private static final String THROWABLE = "Ljava/lang/Throwable;";
    private static final String NETTY_CHANNEL = "io/netty/channel/Channel";
    private static final String ADDRESS = "Ljava/net/SocketAddress;";

    static Map<String, byte[]> all() {
      Map<String, byte[]> out = new java.util.LinkedHashMap<>();
      ClassWriter socket = begin(UNIX_SOCKET, "java/lang/Object");
      empty(socket, "setSoLinger", "(I)V");
      out.put(UNIX_SOCKET, end(socket));
      ClassWriter linux = begin(LINUX_SOCKET, UNIX_SOCKET);
      empty(linux, "setIpBindAddressNoPort", "(Z)V");
      out.put(LINUX_SOCKET, end(linux));
      ClassWriter channel = begin(CHANNEL, "java/lang/Object");
      channel.visitField(Opcodes.ACC_PUBLIC, "socket", "L" + LINUX_SOCKET + ";", null, null);
      channel.visitField(Opcodes.ACC_PUBLIC, "local", ADDRESS, null, null);
      // 4.1's constructor shape; 4.2 adds a last parameter (EpollIoOps), hooked alike.
      constructor(channel, "(L" + NETTY_CHANNEL + ";L" + LINUX_SOCKET + ";Z)V");
      empty(channel, "doBind", "(" + ADDRESS + ")V");
      returnTrue(channel, "doConnect", "(" + ADDRESS + ADDRESS + ")Z");
      empty(channel, "doClose", "()V");
      localAddress0(channel, CHANNEL);
      out.put(CHANNEL, end(channel));
      ClassWriter unsafe = begin(UNSAFE, "java/lang/Object");
      unsafe.visitField(Opcodes.ACC_FINAL, "this$0", "L" + CHANNEL + ";", null, null);
      returnTrue(unsafe, "doFinishConnect", "()Z");
      out.put(UNSAFE, end(unsafe));
      ClassWriter nio = begin(NIO_CHANNEL, "java/lang/Object");
      constructor(nio, "(L" + NETTY_CHANNEL + ";Ljava/nio/channels/SelectableChannel;I)V");
      out.put(NIO_CHANNEL, end(nio));
      uring(out);
      return out;
    }

    /**
     * Netty 4.2's io_uring: the channel has no doConnect; its unsafe's {@code connect} binds the
     * local address through the socket and reports a failure through {@code
     * annotateConnectException}, the two calls whose stack the woven code reshuffles.
     */
    private static void uring(Map<String, byte[]> out) {
      ClassWriter promise = new ClassWriter(0);
      promise.visit(
          Opcodes.V1_8,
          Opcodes.ACC_PUBLIC | Opcodes.ACC_INTERFACE | Opcodes.ACC_ABSTRACT,
          CHANNEL_PROMISE,
          null,
          "java/lang/Object",
          null);
      out.put(CHANNEL_PROMISE, end(promise));
      ClassWriter socket = begin(URING_SOCKET, UNIX_SOCKET);
      empty(socket, "bind", "(" + ADDRESS + ")V");
      out.put(URING_SOCKET, end(socket));
      ClassWriter channel = begin(URING_CHANNEL, "java/lang/Object");
      channel.visitField(Opcodes.ACC_PUBLIC, "socket", "L" + URING_SOCKET + ";", null, null);
      channel.visitField(Opcodes.ACC_PUBLIC, "local", ADDRESS, null, null);
      constructor(channel, "(L" + NETTY_CHANNEL + ";L" + URING_SOCKET + ";)V");
      empty(channel, "doBind", "(" + ADDRESS + ")V");
      empty(channel, "doClose", "()V");
      localAddress0(channel, URING_CHANNEL);
      String annotate = "(" + THROWABLE + ADDRESS + ")" + THROWABLE;
      MethodVisitor a =
          channel.visitMethod(
              Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC,
              "annotateConnectException",
              annotate,
              null,
              null);
      a.visitCode();
      a.visitVarInsn(Opcodes.ALOAD, 0);
      a.visitInsn(Opcodes.ARETURN);
      a.visitMaxs(0, 0);
      a.visitEnd();
      out.put(URING_CHANNEL, end(channel));
      ClassWriter unsafe = begin(URING_UNSAFE, "java/lang/Object");
      unsafe.visitField(Opcodes.ACC_FINAL, "this$0", "L" + URING_CHANNEL + ";", null, null);
      // this$0.socket.bind(local); annotateConnectException(null, remote);
      MethodVisitor connect =
          unsafe.visitMethod(
              Opcodes.ACC_PUBLIC, "connect", "(" + ADDRESS + ADDRESS + PROMISE + ")V", null, null);
      connect.visitCode();
      connect.visitVarInsn(Opcodes.ALOAD, 0);
      connect.visitFieldInsn(Opcodes.GETFIELD, URING_UNSAFE, "this$0", "L" + URING_CHANNEL + ";");
      connect.visitFieldInsn(Opcodes.GETFIELD, URING_CHANNEL, "socket", "L" + URING_SOCKET + ";");
      connect.visitVarInsn(Opcodes.ALOAD, 2);
      connect.visitMethodInsn(
          Opcodes.INVOKEVIRTUAL, URING_SOCKET, "bind", "(" + ADDRESS + ")V", false);
      connect.visitInsn(Opcodes.ACONST_NULL);
      connect.visitVarInsn(Opcodes.ALOAD, 1);
      connect.visitMethodInsn(
          Opcodes.INVOKESTATIC, URING_CHANNEL, "annotateConnectException", annotate, false);
      connect.visitInsn(Opcodes.POP);
      connect.visitInsn(Opcodes.RETURN);
      connect.visitMaxs(0, 0);
      connect.visitEnd();
      empty(unsafe, "fulfillConnectPromise", "(" + PROMISE + "Z)V");
      empty(unsafe, "fulfillConnectPromise", "(" + PROMISE + THROWABLE + ")V");
      out.put(URING_UNSAFE, end(unsafe));
    }

    /** {@code localAddress0()}: returns the field {@code local} of {@code owner}. */
    private static void localAddress0(ClassWriter cw, String owner) {
      MethodVisitor read =
          cw.visitMethod(Opcodes.ACC_PUBLIC, "localAddress0", "()" + ADDRESS, null, null);
      read.visitCode();
      read.visitVarInsn(Opcodes.ALOAD, 0);
      read.visitFieldInsn(Opcodes.GETFIELD, owner, "local", ADDRESS);
      read.visitInsn(Opcodes.ARETURN);
      read.visitMaxs(0, 0);
      read.visitEnd();
    }

    /** Defines the classes and links them, so the JVM's verifier checks every woven call. */
    static void loadAndVerify(Map<String, byte[]> classes) throws Exception {
      ClassLoader loader =
          new ClassLoader(DispatcherLinkTest.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
              byte[] b = classes.get(name);
              if (b == null) {
                throw new ClassNotFoundException(name);
              }
              return defineClass(name, b, 0, b.length);
            }
          };
      for (String name : classes.keySet()) {
        Class<?> c = Class.forName(name, true, loader);
        c.getDeclaredMethods(); // linked and verified
      }
    }

    private static ClassWriter begin(String name, String superName) {
      ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
      cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name, null, superName, null);
      MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
      init.visitCode();
      init.visitVarInsn(Opcodes.ALOAD, 0);
      init.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "()V", false);
      init.visitInsn(Opcodes.RETURN);
      init.visitMaxs(0, 0);
      init.visitEnd();
      return cw;
    }

    /** A constructor of {@code descriptor} that only calls {@code Object()}. */
    private static void constructor(ClassWriter cw, String descriptor) {
      MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", descriptor, null, null);
      init.visitCode();
      init.visitVarInsn(Opcodes.ALOAD, 0);
      init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
      init.visitInsn(Opcodes.RETURN);
      init.visitMaxs(0, 0);
      init.visitEnd();
    }

    private static void empty(ClassWriter cw, String name, String descriptor) {
      MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, name, descriptor, null, null);
      mv.visitCode();
      mv.visitInsn(Opcodes.RETURN);
      mv.visitMaxs(0, 0);
      mv.visitEnd();
    }

    private static void returnTrue(ClassWriter cw, String name, String descriptor) {
      MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, name, descriptor, null, null);
      mv.visitCode();
      mv.visitInsn(Opcodes.ICONST_1);
      mv.visitInsn(Opcodes.IRETURN);
      mv.visitMaxs(0, 0);
      mv.visitEnd();
    }

    private static byte[] end(ClassWriter cw) {
      cw.visitEnd();
      return cw.toByteArray();
    }
  }
}
