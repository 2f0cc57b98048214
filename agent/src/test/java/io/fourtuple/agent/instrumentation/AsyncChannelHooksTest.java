package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * Weaves the running JDK's asynchronous socket channel classes (read as class-file resources, which
 * the module system never hides) and checks where the dispatcher calls landed. The child-JVM tests
 * prove the woven classes verify and work on JDK 8 to 25; this pins which calls carry which hook.
 */
class AsyncChannelHooksTest {

  private static byte[] classFile(String binaryName) throws Exception {
    try (InputStream in =
        ClassLoader.getSystemResourceAsStream(binaryName.replace('.', '/') + ".class")) {
      assertNotNull(in, binaryName);
      return in.readAllBytes();
    }
  }

  /** Per woven method, the dispatcher methods it calls, in order. */
  private static Map<String, List<String>> dispatcherCalls(byte[] woven) {
    Map<String, List<String>> out = new TreeMap<>();
    new ClassReader(woven)
        .accept(
            new ClassVisitor(Opcodes.ASM9) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                List<String> calls = new ArrayList<>();
                return new MethodVisitor(Opcodes.ASM9) {
                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String method, String desc, boolean itf) {
                    if (owner.equals(MethodHook.DISPATCHER)) {
                      calls.add(method);
                    }
                  }

                  @Override
                  public void visitEnd() {
                    if (!calls.isEmpty()) {
                      out.put(name, calls);
                    }
                  }
                };
              }
            },
            0);
    return out;
  }

  private static byte[] weave(AsyncChannelHooks type, SocketWeaver weaver) throws Exception {
    String name = type.className();
    byte[] woven = weaver.transform(null, name.replace('.', '/'), null, null, classFile(name));
    assertNotNull(woven, () -> "not woven: " + weaver.problems());
    return woven;
  }

  @Test
  void bindIsHookedBeforeTheJdksOwnBindHookAndOnThrowAndReadsAtEntry() throws Exception {
    SocketWeaver weaver = new SocketWeaver(List.of(AsyncChannelHooks.bind()));
    Map<String, List<String>> calls = dispatcherCalls(weave(AsyncChannelHooks.bind(), weaver));
    assertEquals(
        Map.of("bind", List.of("bind", "bindFailed"), "getLocalAddress", List.of("localRead")),
        calls);
    assertTrue(weaver.problems().isEmpty(), weaver.problems()::toString);
  }

  @Test
  void connectOutcomesAreSeenWhereTheJdkHandsThemOver() throws Exception {
    SocketWeaver weaver = new SocketWeaver(List.of(AsyncChannelHooks.unix()));
    Map<String, List<String>> calls = dispatcherCalls(weave(AsyncChannelHooks.unix(), weaver));
    assertTrue(weaver.problems().isEmpty(), weaver.problems()::toString);
    assertEquals(List.of("close"), calls.get("implClose"));
    // implConnect: closed channel (future or handler), the port slice of a channel that never
    // bound (before NetHooks.beforeTcpConnect), pending, immediate outcome (future or handler), and
    // what it throws itself.
    assertEquals(
        List.of(
            "connectOutcome",
            "connectOutcome",
            "beforeConnect",
            "connected",
            "connectOutcome",
            "connectOutcome",
            "connectOutcome"),
        calls.get("implConnect"));
    // finishConnect (poller thread): future, handler directly, handler indirectly.
    assertEquals(
        List.of("connectOutcome", "connectOutcome", "connectOutcome"), calls.get("finishConnect"));
    assertEquals(3, calls.size(), calls::toString);
  }

  @Test
  void onlyCallsWithTheOutcomeLastAreHandOvers() {
    assertTrue(
        AsyncChannelHooks.handsOverOutcome(
            "sun/nio/ch/PendingFuture", "setResult", "(Ljava/lang/Object;Ljava/lang/Throwable;)V"));
    assertFalse(
        AsyncChannelHooks.handsOverOutcome(
            "sun/nio/ch/PendingFuture", "setResult", "(Ljava/lang/Object;)V"));
    assertTrue(
        AsyncChannelHooks.handsOverOutcome(
            "sun/nio/ch/CompletedFuture",
            "withResult",
            "(Ljava/lang/Object;Ljava/lang/Throwable;)Lsun/nio/ch/CompletedFuture;"));
    assertFalse(
        AsyncChannelHooks.handsOverOutcome(
            "sun/nio/ch/Invoker", "invokeOther", "(Ljava/lang/Throwable;)V"));
  }
}
