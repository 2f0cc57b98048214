package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.bootstrap.Dispatcher;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import org.junit.jupiter.api.Test;

/**
 * Every call the weaver puts into the running JDK's socket classes links: the dispatcher has a
 * public static method of that name and exactly that descriptor. A mismatch would throw {@code
 * NoSuchMethodError} inside an application's socket call; here it fails the build instead. (The
 * Netty hooks are checked the same way in {@code NettyEventsTest} style tests against stand-in
 * classes; the child-JVM tests run them against real Netty.)
 */
class DispatcherLinkTest {

  private static byte[] classFile(String binaryName) throws Exception {
    try (InputStream in =
        ClassLoader.getSystemResourceAsStream(binaryName.replace('.', '/') + ".class")) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /** The dispatcher calls in {@code woven}, as name + descriptor. */
  static Set<String> dispatcherCalls(byte[] woven) {
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
                    if (owner.equals(MethodHook.DISPATCHER)) {
                      assertEquals(Opcodes.INVOKESTATIC, opcode, method);
                      calls.add(method + desc);
                    }
                  }
                };
              }
            },
            0);
    return calls;
  }

  static Set<String> dispatcherMethods() {
    Set<String> out = new TreeSet<>();
    for (Method m : Dispatcher.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())) {
        out.add(m.getName() + Type.getMethodDescriptor(m));
      }
    }
    return out;
  }

  @Test
  void everyCallWovenIntoThisJdkLinksToTheDispatcher() throws Exception {
    List<TargetType> targets = Installer.jdkTargets();
    SocketWeaver weaver = new SocketWeaver(targets);
    Set<String> methods = dispatcherMethods();
    Set<String> seen = new TreeSet<>();
    List<String> woven = new ArrayList<>();
    for (TargetType type : targets) {
      byte[] original = classFile(type.className());
      if (original == null) {
        continue; // not in this JDK (AbstractPlainSocketImpl is gone in 18+)
      }
      byte[] result =
          weaver.transform(null, type.className().replace('.', '/'), null, null, original);
      assertNotNull(result, () -> type.className() + " not woven: " + weaver.problems());
      woven.add(type.className());
      for (String call : dispatcherCalls(result)) {
        assertTrue(methods.contains(call), () -> call + " is not a dispatcher method: " + methods);
        seen.add(call);
      }
    }
    assertTrue(weaver.problems().isEmpty(), weaver.problems()::toString);
    // The reads that give a deferred socket its port are among them.
    assertTrue(
        seen.contains("socketLocalRead(Ljava/lang/Object;ILjava/lang/Object;)V"), seen::toString);
    assertTrue(
        seen.contains("channelLocalRead(Ljava/lang/Object;Ljava/lang/Object;I)V"), seen::toString);
    assertTrue(woven.size() >= 6, woven::toString);
  }
}
