package io.fourtuple.agent.instrumentation;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The agent's only class file transformer. For any class but the few JDK socket classes and Netty's
 * epoll and io_uring classes (in any loader, matched by name suffix: {@link SuffixTable}) it costs
 * one map lookup and a few character compares; for those it weaves the hooks with ASM (the copy
 * shaded inside Byte Buddy), reading the class once for its shape and once to rewrite the chosen
 * methods, copying everything else unchanged.
 *
 * <p>Why ASM and not Byte Buddy's {@code AgentBuilder} and {@code Advice}: measured on JDK 17 here,
 * the first transformation through Byte Buddy loaded 1,186 of its classes and took 600–800 ms, on
 * the path of any application that opens a socket at startup. The hooks are straight-line calls;
 * ASM loads a few dozen classes to weave them.
 *
 * <p>Hazards: runs inside class loading on whatever thread loads the class. It loads no class (no
 * frame computation), takes no lock, and never throws: a failure leaves the class unchanged and is
 * recorded.
 */
final class SocketWeaver implements ClassFileTransformer {
  /**
   * Several target types may hook one class (the bind and the linger hooks of SocketChannelImpl).
   */
  private final Map<String, List<TargetType>> targets = new HashMap<String, List<TargetType>>();

  private final Set<String> woven = Collections.synchronizedSet(new LinkedHashSet<String>());
  private final List<String> problems = Collections.synchronizedList(new ArrayList<String>());

  /**
   * Classes of any loader matched by the end of their internal name, so relocated copies match too
   * ({@code io/grpc/netty/shaded/io/netty/channel/epoll/AbstractEpollChannel}). Empty unless the
   * Netty hooks are on.
   */
  private final SuffixTable suffixes;

  private static final String DISPATCHER = "io.fourtuple.bootstrap.Dispatcher";

  /** Per application class loader: does it resolve the dispatcher to the boot loader's? */
  private final Map<ClassLoader, Boolean> loaderVisibility =
      new WeakHashMap<ClassLoader, Boolean>();

  SocketWeaver(List<TargetType> types) {
    this(types, Collections.<TargetType>emptyList());
  }

  SocketWeaver(List<TargetType> types, List<TargetType> bySuffix) {
    this.suffixes = new SuffixTable(bySuffix);
    for (TargetType type : types) {
      String name = type.className().replace('.', '/');
      List<TargetType> forClass = targets.get(name);
      if (forClass == null) {
        forClass = new ArrayList<TargetType>();
        targets.put(name, forClass);
      }
      forClass.add(type);
    }
  }

  @Override
  public byte[] transform(
      ClassLoader loader,
      String className,
      Class<?> classBeingRedefined,
      ProtectionDomain protectionDomain,
      byte[] classfileBuffer) {
    if (className == null) {
      return null;
    }
    List<TargetType> types = loader == null ? targets.get(className) : null;
    if (types == null) {
      types = suffixes.match(className);
      if (types == null) {
        return null;
      }
      if (loader != null && !seesDispatcher(loader, className)) {
        return null;
      }
    }
    try {
      return weave(types, classfileBuffer);
    } catch (Throwable t) {
      problems.add(className.replace('/', '.') + ": " + t);
      return null;
    }
  }

  private byte[] weave(List<TargetType> types, byte[] original) {
    ClassReader reader = new ClassReader(original);
    ClassShape shape = ClassShape.read(reader);
    List<String> found = new ArrayList<String>();
    List<MethodHook> hooks = new ArrayList<MethodHook>();
    for (TargetType type : types) {
      hooks.addAll(type.hooks(shape, found));
    }
    for (String problem : found) {
      if (!problems.contains(problem)) {
        problems.add(problem);
      }
    }
    if (hooks.isEmpty()) {
      return null;
    }
    // Hooks of one method are chained: each visitor adds its code and its own catch-all handler,
    // and the handler registered first wraps the original code only, so every hook sees a throw
    // once.
    final Map<String, List<MethodHook>> byMethod = new HashMap<String, List<MethodHook>>();
    for (MethodHook hook : hooks) {
      List<MethodHook> forMethod = byMethod.get(hook.name + hook.descriptor);
      if (forMethod == null) {
        forMethod = new ArrayList<MethodHook>();
        byMethod.put(hook.name + hook.descriptor, forMethod);
      }
      forMethod.add(hook);
    }
    final String owner = shape.internalName;
    // Passing the reader lets ASM copy untouched methods as they are; COMPUTE_MAXS only recounts
    // the stack of the woven methods and, unlike COMPUTE_FRAMES, never loads a class.
    ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
    reader.accept(
        new ClassVisitor(Opcodes.ASM9, writer) {
          @Override
          public MethodVisitor visitMethod(
              int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
            List<MethodHook> forMethod = byMethod.get(name + descriptor);
            if (forMethod != null) {
              for (MethodHook hook : forMethod) {
                mv = new HookingMethodVisitor(mv, hook, owner);
              }
            }
            return mv;
          }
        },
        0);
    woven.add(owner.replace('/', '.'));
    return writer.toByteArray();
  }

  /**
   * Whether code defined by {@code loader} resolves the dispatcher to the boot loader's copy. A
   * loader that does not delegate {@code io.fourtuple.*} to its parents (OSGi without boot
   * delegation, some module systems) would make the woven call throw {@code NoClassDefFoundError}
   * into the application, so its classes are left alone and the reason is recorded. Asked once per
   * loader, only for a class that matched the suffix table; the lookup goes to the boot loader,
   * which takes no application lock.
   */
  private boolean seesDispatcher(ClassLoader loader, String className) {
    Boolean known;
    synchronized (loaderVisibility) {
      known = loaderVisibility.get(loader);
    }
    if (known == null) {
      boolean sees;
      try {
        sees = Class.forName(DISPATCHER, false, loader) == Class.forName(DISPATCHER, false, null);
      } catch (Throwable t) {
        sees = false;
      }
      known = Boolean.valueOf(sees);
      synchronized (loaderVisibility) {
        loaderVisibility.put(loader, known);
      }
      if (!sees) {
        problems.add(
            className.replace('/', '.')
                + ": its class loader "
                + loader
                + " does not see the agent's dispatcher; classes it defines are left unchanged");
      }
    }
    return known.booleanValue();
  }

  /** Binary names of the classes woven so far. */
  List<String> woven() {
    synchronized (woven) {
      return new ArrayList<String>(woven);
    }
  }

  /** What could not be hooked, and why. */
  List<String> problems() {
    synchronized (problems) {
      return new ArrayList<String>(problems);
    }
  }

  boolean isTarget(Class<?> type) {
    String internalName = type.getName().replace('.', '/');
    if (type.getClassLoader() == null && targets.containsKey(internalName)) {
      return true;
    }
    return suffixes.match(internalName) != null;
  }
}
