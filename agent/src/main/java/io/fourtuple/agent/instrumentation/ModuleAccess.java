package io.fourtuple.agent.instrumentation;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Module edges the agent needs on JDK 9+, made through {@code Instrumentation.redefineModule} (called
 * reflectively: the agent compiles to Java 8):
 *
 * <ul>
 *   <li>{@code java.base} reads the bootstrap loader's unnamed module, where the dispatcher lives, so advice
 *       inlined into {@code sun.nio.ch} and {@code java.net} can call it;
 *   <li>{@code java.base} opens {@code sun.nio.ch} to the agent's module, for {@code Net.setIntOption0}.
 * </ul>
 *
 * On JDK 8 there are no modules and this does nothing.
 */
final class ModuleAccess {
  private ModuleAccess() {}

  static void open(Instrumentation instrumentation, Class<?> dispatcher, Class<?> agentClass)
      throws Exception {
    Method getModule;
    try {
      getModule = Class.class.getMethod("getModule");
    } catch (NoSuchMethodException java8) {
      return;
    }
    Object javaBase = getModule.invoke(Object.class);
    Object bootUnnamed = getModule.invoke(dispatcher);
    Object agentModule = getModule.invoke(agentClass);
    Class<?> moduleType = Class.forName("java.lang.Module");
    Method redefine =
        Instrumentation.class.getMethod(
            "redefineModule", moduleType, Set.class, Map.class, Map.class, Set.class, Map.class);
    Map<String, Set<Object>> opens =
        Collections.singletonMap("sun.nio.ch", Collections.singleton(agentModule));
    redefine.invoke(
        instrumentation,
        javaBase,
        Collections.singleton(bootUnnamed),
        Collections.<String, Set<Object>>emptyMap(),
        opens,
        Collections.<Class<?>>emptySet(),
        Collections.<Class<?>, List<Class<?>>>emptyMap());
  }
}
