package io.fourtuple.agent.instrumentation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Defines the bootstrap zone's classes in the bootstrap class loader, so advice inlined into {@code
 * java.base} can link against them.
 *
 * <p>Why not {@code Instrumentation.appendToBootstrapClassLoaderSearch}: appending a jar to the
 * boot class path switches class-data sharing off for every non-boot class, a startup cost paid by
 * the whole application. Why not Byte Buddy's {@code ClassInjector}: on JDK 9+ it generates an
 * accessor class with Byte Buddy first, which cost 350 ms of JVM start here. Instead the JDK's own
 * {@code Unsafe.defineClass} is called directly: {@code sun.misc.Unsafe} on JDK 8, {@code
 * jdk.internal.misc.Unsafe} (exported to the agent by {@link ModuleAccess}, so no {@code
 * sun.misc.Unsafe} warning on 24+) on 9 and later, through a method handle bound to the {@code
 * Unsafe} instance: reflection would call a method of six arguments through spreading handles whose
 * classes the JDK spins at first use, dozens of classes and tens of milliseconds of premain on JDK
 * 25.
 *
 * <p>Hazard: nothing may load these classes through the agent's own class loader before injection,
 * or there would be two copies; the agent's entry code does not touch them until this has run, and
 * {@link #inject} verifies the result.
 */
final class BootstrapInjector {
  /**
   * Every class of {@code io.fourtuple.bootstrap}, nested ones included, in definition order (an
   * interface before its implementations). A unit test keeps this in step with the package.
   */
  static final List<String> CLASSES =
      Collections.unmodifiableList(
          Arrays.asList(
              "io.fourtuple.bootstrap.SocketHooks",
              "io.fourtuple.bootstrap.Dispatcher",
              "io.fourtuple.bootstrap.Dispatcher$InsideFlag",
              "io.fourtuple.bootstrap.Dispatcher$NoOpHooks"));

  static final String DISPATCHER = "io.fourtuple.bootstrap.Dispatcher";

  private BootstrapInjector() {}

  /** True if an earlier start (or attach) of the agent already defined the classes. */
  static boolean alreadyInjected() {
    try {
      Class.forName(DISPATCHER, false, null);
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
  static void inject(ClassLoader agentLoader) throws Exception {
    if (!alreadyInjected()) {
      MethodHandle defineClass;
      try {
        Class<?> type = Class.forName("jdk.internal.misc.Unsafe");
        defineClass = defineClassOf(type, type.getMethod("getUnsafe").invoke(null));
      } catch (ClassNotFoundException java8) {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = type.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        defineClass = defineClassOf(type, theUnsafe.get(null));
      }
      for (String name : CLASSES) {
        byte[] bytes = classFile(agentLoader, name);
        try {
          Class<?> defined =
              (Class<?>)
                  defineClass.invokeExact(
                      name, bytes, 0, bytes.length, (ClassLoader) null, (ProtectionDomain) null);
        } catch (Throwable t) {
          throw new IllegalStateException("could not define " + name, t);
        }
      }
    }
    Class<?> dispatcher = Class.forName(DISPATCHER, false, agentLoader);
    if (dispatcher.getClassLoader() != null) {
      throw new IllegalStateException(
          DISPATCHER
              + " was loaded by "
              + dispatcher.getClassLoader()
              + ", not the bootstrap loader");
    }
  }

  private static MethodHandle defineClassOf(Class<?> unsafeType, Object unsafe)
      throws ReflectiveOperationException {
    MethodType type =
        MethodType.methodType(
            Class.class,
            String.class,
            byte[].class,
            int.class,
            int.class,
            ClassLoader.class,
            ProtectionDomain.class);
    return MethodHandles.lookup().findVirtual(unsafeType, "defineClass", type).bindTo(unsafe);
  }

  private static byte[] classFile(ClassLoader loader, String name) throws IOException {
    String resource = name.replace('.', '/') + ".class";
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("the agent jar lacks " + resource);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
      byte[] buffer = new byte[4096];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    }
  }
}
