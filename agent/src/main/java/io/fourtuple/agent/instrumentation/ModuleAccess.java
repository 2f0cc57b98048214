package io.fourtuple.agent.instrumentation;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Module edges the agent needs on JDK 9+, made through {@code Instrumentation.redefineModule}
 * (called reflectively: the agent compiles to Java 8). On JDK 8 there are no modules and this does
 * nothing.
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
    Method getModule = getModule();
    if (getModule == null) {
      return;
    }
    Set<Object> agent = Collections.singleton(getModule.invoke(agentClass));
    Map<String, Set<Object>> exports = new HashMap<String, Set<Object>>();
    exports.put("jdk.internal.misc", agent);
    Map<String, Set<Object>> opens = new HashMap<String, Set<Object>>();
    opens.put("sun.nio.ch", agent);
    opens.put("java.net", agent);
    redefine(
        instrumentation, getModule.invoke(Object.class), Collections.emptySet(), exports, opens);
  }

  /**
   * After injection: {@code java.base} reads the bootstrap loader's unnamed module, where the
   * dispatcher lives, so advice inlined into {@code sun.nio.ch} and {@code java.net} can link
   * against it.
   */
  static void javaBaseReads(Instrumentation instrumentation, Class<?> dispatcher) throws Exception {
    Method getModule = getModule();
    if (getModule == null) {
      return;
    }
    redefine(
        instrumentation,
        getModule.invoke(Object.class),
        Collections.singleton(getModule.invoke(dispatcher)),
        Collections.<String, Set<Object>>emptyMap(),
        Collections.<String, Set<Object>>emptyMap());
  }

  private static Method getModule() {
    try {
      return Class.class.getMethod("getModule");
    } catch (NoSuchMethodException java8) {
      return null;
    }
  }

  private static void redefine(
      Instrumentation instrumentation,
      Object module,
      Set<Object> reads,
      Map<String, Set<Object>> exports,
      Map<String, Set<Object>> opens)
      throws Exception {
    Class<?> moduleType = Class.forName("java.lang.Module");
    Method redefine =
        Instrumentation.class.getMethod(
            "redefineModule", moduleType, Set.class, Map.class, Map.class, Set.class, Map.class);
    redefine.invoke(
        instrumentation,
        module,
        reads,
        exports,
        opens,
        Collections.<Class<?>>emptySet(),
        Collections.<Class<?>, List<Class<?>>>emptyMap());
  }
}
