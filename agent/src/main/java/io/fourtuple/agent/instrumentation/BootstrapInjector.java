package io.fourtuple.agent.instrumentation;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Defines the bootstrap zone's classes in the bootstrap class loader, so advice inlined into {@code
 * java.base} can link against them.
 *
 * <p>Why not {@code Instrumentation.appendToBootstrapClassLoaderSearch}: appending a jar to the
 * boot class path switches class-data sharing off for every non-boot class, a startup cost paid by
 * the whole application. Why not Byte Buddy's {@code ClassInjector}: on JDK 9+ it generates an
 * accessor class with Byte Buddy first, which cost 350 ms of JVM start here. Instead the JDK's own
 * {@code Unsafe.defineClass} is called directly: {@code jdk.internal.misc.Unsafe} on JDK 9 and
 * later (exported to the agent by {@code ModularJdk}, so no {@code sun.misc.Unsafe} warning on
 * 24+), as a plain call compiled against that API ({@code ModularJdk.defineInBootLoader}); {@code
 * sun.misc.Unsafe} by reflection on JDK 8, whose reflection runs through the JVM's native accessor
 * for a method's first calls and spins no class.
 *
 * <p>The class files are read from the agent's jar with {@link ZipFile} (the JDK shares the jar's
 * open central directory with the class loader that loaded the agent), not with {@code
 * ClassLoader.getResourceAsStream}: that asks the boot and platform loaders first, which search
 * every module of the runtime image (the jimage reader's classes) and then opens a {@code jar:} URL
 * connection, 38 classes loaded on the way to {@code main} for four class files. The class loader
 * stays the fallback where the agent is not a jar (its classes in a directory). The jar is opened
 * by the path its code source names, the file the agent was loaded from (at hot attach, the command
 * line's copy in a directory only its user can write).
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
   * @param defineInBootLoader {@code ModularJdk.defineInBootLoader(String, byte[])} on JDK 9+; null
   *     on JDK 8, where {@code sun.misc.Unsafe} is called by reflection
   * @throws IllegalStateException if they end up anywhere but the bootstrap loader
   */
  static void inject(Class<?> agentClass, MethodHandle defineInBootLoader) throws Exception {
    ClassLoader agentLoader = agentClass.getClassLoader();
    if (!alreadyInjected()) {
      Object unsafe = null;
      Method defineClass = null;
      if (defineInBootLoader == null) {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = type.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        unsafe = theUnsafe.get(null);
        defineClass =
            type.getMethod(
                "defineClass",
                String.class,
                byte[].class,
                int.class,
                int.class,
                ClassLoader.class,
                ProtectionDomain.class);
      }
      ZipFile jar = agentJar(agentClass);
      try {
        for (String name : CLASSES) {
          byte[] bytes = classFile(jar, agentLoader, name);
          try {
            if (defineInBootLoader != null) {
              defineInBootLoader.invokeExact(name, bytes);
            } else {
              defineClass.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
            }
          } catch (Throwable t) {
            throw new IllegalStateException("could not define " + name, t);
          }
        }
      } finally {
        if (jar != null) {
          jar.close();
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

  /** The jar the agent's classes come from, opened; null when they do not come from a jar. */
  static ZipFile agentJar(Class<?> agentClass) {
    try {
      CodeSource source = agentClass.getProtectionDomain().getCodeSource();
      URL location = source == null ? null : source.getLocation();
      if (location == null || !"file".equals(location.getProtocol())) {
        return null;
      }
      File file = new File(location.toURI());
      return file.isFile() ? new ZipFile(file) : null;
    } catch (Exception | LinkageError e) {
      return null; // the class loader is asked instead
    }
  }

  static byte[] classFile(ZipFile jar, ClassLoader loader, String name) throws IOException {
    String resource = name.replace('.', '/') + ".class";
    ZipEntry entry = jar == null ? null : jar.getEntry(resource);
    try (InputStream in =
        entry != null ? jar.getInputStream(entry) : loader.getResourceAsStream(resource)) {
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
