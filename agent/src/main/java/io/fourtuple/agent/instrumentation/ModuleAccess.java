package io.fourtuple.agent.instrumentation;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one module edit the agent needs on JDK 9+, made through {@code
 * Instrumentation.redefineModule} (called reflectively: the agent compiles to Java 8). On JDK 8
 * there are no modules and this does nothing.
 *
 * <p>No edge is made for the woven code's link to the dispatcher: when an agent transforms a class
 * of a named module, the JVM itself makes that module read the bootstrap and application loaders'
 * unnamed modules ({@code jdk.internal.module.Modules.transformedByAgent}). One call, not two: each
 * {@code redefineModule} spins lambdas inside the JDK, milliseconds of premain on JDK 25.
 */
final class ModuleAccess {
  private ModuleAccess() {}

  /**
   * Before injection: {@code java.base} exports {@code jdk.internal.misc} (for {@code
   * Unsafe.defineClass}) and opens {@code sun.nio.ch} (for {@code Net.setIntOption0}) and {@code
   * java.net} (for the cached local port of a socket implementation, see {@code DeferredPorts}) to
   * the agent's module only.
   */
  static void openToAgent(Instrumentation instrumentation, Class<?> agentClass) throws Exception {
    Method getModule;
    try {
      getModule = Class.class.getMethod("getModule");
    } catch (NoSuchMethodException java8) {
      return;
    }
    Set<Object> agent = Collections.singleton(getModule.invoke(agentClass));
    Map<String, Set<Object>> exports = new HashMap<String, Set<Object>>();
    exports.put("jdk.internal.misc", agent);
    Map<String, Set<Object>> opens = new HashMap<String, Set<Object>>();
    opens.put("sun.nio.ch", agent);
    opens.put("java.net", agent);
    Class<?> moduleType = Class.forName("java.lang.Module");
    Instrumentation.class
        .getMethod(
            "redefineModule", moduleType, Set.class, Map.class, Map.class, Set.class, Map.class)
        .invoke(
            instrumentation,
            getModule.invoke(Object.class),
            Collections.emptySet(),
            exports,
            opens,
            Collections.<Class<?>>emptySet(),
            Collections.<Class<?>, List<Class<?>>>emptyMap());
  }
}
