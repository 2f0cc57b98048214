package io.fourtuple.agent.instrumentation;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Puts the hooks into the JVM: module edges, the bootstrap zone, and the {@link SocketWeaver} for
 * the JDK socket classes (and the application's Netty epoll and io_uring classes, in every class
 * loader). With the classes beside it, the only code that knows bytecode.
 *
 * <p>The weaver is registered for retransformation: classes loaded later are woven as they load,
 * classes already loaded (at hot attach, or loaded before {@code premain}) are retransformed at
 * once, and the original bytecode stays restorable by retransforming without the weaver.
 */
public final class Installer {
  private Installer() {}

  private static final String MODULAR_JDK = "io.fourtuple.agent.instrumentation.jdk9.ModularJdk";

  /**
   * Opens modules and injects the bootstrap zone. Must run before anything links against the
   * dispatcher.
   */
  public static void prepare(Instrumentation instrumentation, Class<?> agentClass)
      throws Exception {
    if (System.getProperty("java.specification.version", "").startsWith("1.")) {
      BootstrapInjector.inject(agentClass, null); // JDK 8: no modules
      return;
    }
    // ModularJdk is compiled against the JDK 9+ API and reached by name (see its Javadoc). Both
    // handles have one shape, a static method of two references: no class spun for them on JDK 17,
    // one invoker on JDK 25, where reflection spun 14.
    Class<?> modular = Class.forName(MODULAR_JDK, true, agentClass.getClassLoader());
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    MethodHandle openToAgent =
        lookup.findStatic(
            modular,
            "openToAgent",
            MethodType.methodType(void.class, Instrumentation.class, Class.class));
    try {
      openToAgent.invokeExact(instrumentation, agentClass);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
    BootstrapInjector.inject(
        agentClass,
        lookup.findStatic(
            modular,
            "defineInBootLoader",
            MethodType.methodType(void.class, String.class, byte[].class)));
  }

  /** The JDK classes the weaver hooks (in the boot loader only). */
  static List<TargetType> jdkTargets() {
    return Arrays.<TargetType>asList(
        SocketImplHooks.nio(),
        SocketImplHooks.plain(),
        SocketImplHooks.base(),
        new SocketChannelImplHooks(),
        LingerHooks.socket(),
        LingerHooks.channel(),
        AsyncChannelHooks.bind(),
        AsyncChannelHooks.unix());
  }

  /**
   * Registers the weaver and weaves the socket classes that are already loaded.
   *
   * @param netty whether to weave Netty's epoll and io_uring classes too, in every class loader
   *     (copies already loaded by several loaders are all retransformed)
   */
  public static Installation install(Instrumentation instrumentation, boolean netty) {
    SocketWeaver weaver =
        new SocketWeaver(
            jdkTargets(), netty ? NettyHooks.all() : Collections.<TargetType>emptyList());
    instrumentation.addTransformer(weaver, true);
    return new Installation(weaver, retransform(instrumentation, weaver));
  }

  /** Retransforms the loaded classes the weaver targets; one line per class that failed. */
  private static List<String> retransform(Instrumentation instrumentation, SocketWeaver weaver) {
    List<String> failures = new ArrayList<String>();
    for (Class<?> loaded : instrumentation.getAllLoadedClasses()) {
      if (weaver.isTarget(loaded)) {
        try {
          instrumentation.retransformClasses(loaded);
        } catch (Throwable t) {
          failures.add(loaded.getName() + ": " + t);
        }
      }
    }
    return failures;
  }

  /** The installed hooks: which classes were woven and what could not be. */
  public static final class Installation {
    private final SocketWeaver weaver;
    private final List<String> retransformFailures;

    Installation(SocketWeaver weaver, List<String> retransformFailures) {
      this.weaver = weaver;
      this.retransformFailures = retransformFailures;
    }

    /** Classes woven so far (others are woven when the JVM loads them). */
    public List<String> woven() {
      return weaver.woven();
    }

    /**
     * Removes the weaver and retransforms the classes it wove, so the JVM runs their original
     * bytecode again. Must be called with the {@link Instrumentation} the weaver was registered on
     * (the one the agent received when it started): a later attach receives a different instance,
     * and removing the weaver through that one silently does nothing.
     *
     * @return one line per class that could not be restored (empty when all were)
     */
    public List<String> uninstall(Instrumentation instrumentation) {
      if (!instrumentation.removeTransformer(weaver)) {
        return Collections.singletonList(
            "the weaver was not registered on this Instrumentation; nothing was restored");
      }
      return retransform(instrumentation, weaver);
    }

    /** What could not be hooked, with the reason; those classes or methods run unchanged. */
    public List<String> problems() {
      List<String> all = new ArrayList<String>(retransformFailures);
      all.addAll(weaver.problems());
      return all;
    }
  }
}
