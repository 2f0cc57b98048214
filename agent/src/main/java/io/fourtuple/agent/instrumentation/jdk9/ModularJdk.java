package io.fourtuple.agent.instrumentation.jdk9;

import java.lang.instrument.Instrumentation;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's two calls into JDK 9+ API, written as plain calls: the module edit the agent needs,
 * through {@code Instrumentation.redefineModule}, and {@code jdk.internal.misc.Unsafe.defineClass}
 * for the bootstrap zone. Java 8 bytecode compiled on its own against the build JDK's API (see
 * {@code agent/pom.xml}), like the JFR sink: the rest of the agent is compiled with release 8,
 * which has no {@code java.lang.Module}, and reaches this class by name through one method handle
 * each, only on JDK 9 and later ({@link io.fourtuple.agent.instrumentation.Installer}).
 *
 * <p>Why not reflection: from JDK 18 on (JEP 416) a reflective call of a method with several
 * arguments runs through spreading method handles whose classes the JDK spins at first use; on JDK
 * 25 {@code getModule} and {@code redefineModule} called that way spun 14 classes (about 30 loaded)
 * in {@code premain}. Here they are plain {@code invokevirtual}s.
 *
 * <p>No edge is made for the woven code's link to the dispatcher: when an agent transforms a class
 * of a named module, the JVM itself makes that module read the bootstrap and application loaders'
 * unnamed modules ({@code jdk.internal.module.Modules.transformedByAgent}). One {@code
 * redefineModule}, not two: each spins lambdas inside the JDK.
 *
 * <p>Hazard: never loaded on JDK 8, where {@code java.lang.Module} does not exist.
 */
public final class ModularJdk {
  private ModularJdk() {}

  /**
   * Before injection: {@code java.base} exports {@code jdk.internal.misc} (for {@link
   * #defineInBootLoader}) and opens {@code sun.nio.ch} (for {@code Net.setIntOption0}) and {@code
   * java.net} (for the cached local port of a socket implementation, see {@code DeferredPorts}) to
   * the agent's module only.
   */
  public static void openToAgent(Instrumentation instrumentation, Class<?> agentClass) {
    Set<Module> agent = Collections.singleton(agentClass.getModule());
    Map<String, Set<Module>> exports = new HashMap<String, Set<Module>>();
    exports.put("jdk.internal.misc", agent);
    Map<String, Set<Module>> opens = new HashMap<String, Set<Module>>();
    opens.put("sun.nio.ch", agent);
    opens.put("java.net", agent);
    instrumentation.redefineModule(
        Object.class.getModule(),
        Collections.<Module>emptySet(),
        exports,
        opens,
        Collections.<Class<?>>emptySet(),
        Collections.<Class<?>, List<Class<?>>>emptyMap());
  }

  /**
   * Defines a class in the bootstrap class loader; {@link #openToAgent} must have run. Void, like
   * {@link #openToAgent}: a method handle of the same shape (two references, no result) spins no
   * invoker class of its own at its first call.
   */
  public static void defineInBootLoader(String name, byte[] bytes) {
    jdk.internal.misc.Unsafe.getUnsafe().defineClass(name, bytes, 0, bytes.length, null, null);
  }
}
