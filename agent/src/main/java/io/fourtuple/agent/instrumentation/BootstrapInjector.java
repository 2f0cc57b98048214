package io.fourtuple.agent.instrumentation;

import java.lang.instrument.Instrumentation;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.loading.ClassInjector;

/**
 * Defines the bootstrap zone's classes in the bootstrap class loader, so advice inlined into {@code
 * java.base} can link against them.
 *
 * <p>Why injection rather than {@code Instrumentation.appendToBootstrapClassLoaderSearch}: appending a jar
 * to the boot class path switches class-data sharing off for every non-boot class, a startup cost paid by
 * the whole application. Injection through {@code Unsafe} (opened with the instrumentation on 9+, so no
 * {@code sun.misc.Unsafe} warning on 24+) leaves CDS alone.
 *
 * <p>Hazard: nothing may load these classes through the agent's own class loader before injection, or
 * there would be two copies; the agent's entry code does not touch them until this has run, and {@link
 * #inject} verifies the result.
 */
final class BootstrapInjector {
  /** Every class of {@code io.fourtuple.bootstrap}, nested ones included (a unit test keeps this in step). */
  static final List<String> CLASSES =
      Collections.unmodifiableList(
          Arrays.asList(
              "io.fourtuple.bootstrap.SocketHooks",
              "io.fourtuple.bootstrap.Dispatcher",
              "io.fourtuple.bootstrap.Dispatcher$InsideFlag",
              "io.fourtuple.bootstrap.Dispatcher$NoOpHooks"));

  private BootstrapInjector() {}

  /** True if an earlier start (or attach) of the agent already defined the classes. */
  static boolean alreadyInjected() {
    try {
      Class.forName(CLASSES.get(1), false, null);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * Injects the classes unless present.
   *
   * @throws IllegalStateException if they end up anywhere but the bootstrap loader
   */
  static void inject(Instrumentation instrumentation, ClassLoader agentLoader) {
    if (!alreadyInjected()) {
      Set<String> names = new LinkedHashSet<String>(CLASSES);
      ClassInjector injector =
          ClassInjector.UsingUnsafe.Factory.resolve(instrumentation).make(null, null);
      injector.injectRaw(names, ClassFileLocator.ForClassLoader.of(agentLoader));
    }
    try {
      Class<?> dispatcher = Class.forName(CLASSES.get(1), false, agentLoader);
      if (dispatcher.getClassLoader() != null) {
        throw new IllegalStateException(
            "io.fourtuple.bootstrap.Dispatcher was loaded by "
                + dispatcher.getClassLoader()
                + " instead of the bootstrap class loader");
      }
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("bootstrap injection did not define the dispatcher", e);
    }
  }
}
