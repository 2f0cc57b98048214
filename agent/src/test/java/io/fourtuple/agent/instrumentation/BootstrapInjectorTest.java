package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.bootstrap.SocketHooks;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapInjectorTest {
  private static final String PACKAGE = "io.fourtuple.bootstrap";

  /** The compiled classes of the bootstrap package, as binary names (nested classes included). */
  private static Set<String> compiledBootstrapClasses() throws IOException, URISyntaxException {
    Path classes =
        Path.of(SocketHooks.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path dir = classes.resolve(PACKAGE.replace('.', '/'));
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.endsWith(".class"))
          .map(name -> PACKAGE + "." + name.substring(0, name.length() - ".class".length()))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void listsEveryClassOfTheBootstrapPackage() throws Exception {
    assertEquals(compiledBootstrapClasses(), new TreeSet<>(BootstrapInjector.CLASSES));
  }

  /**
   * The class files come from the jar the agent's classes were loaded from, read directly (no
   * resource lookup through the boot and platform loaders), and from the class loader where the
   * agent is a directory of classes.
   */
  @Test
  void readsClassFilesFromTheAgentsOwnJar(@TempDir Path dir) throws Exception {
    String hooks = SocketHooks.class.getName().replace('.', '/') + ".class";
    byte[] hooksBytes;
    try (InputStream in = SocketHooks.class.getClassLoader().getResourceAsStream(hooks)) {
      hooksBytes = in.readAllBytes();
    }
    byte[] marker = {1, 2, 3};
    Path jar = dir.resolve("agent.jar");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new ZipEntry(hooks));
      out.write(hooksBytes);
      out.putNextEntry(new ZipEntry(BootstrapInjector.DISPATCHER.replace('.', '/') + ".class"));
      out.write(marker);
    }
    try (URLClassLoader fromJar = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      Class<?> agentClass = fromJar.loadClass(SocketHooks.class.getName());
      try (ZipFile opened = BootstrapInjector.agentJar(agentClass)) {
        assertTrue(opened != null, "the agent's jar is opened");
        assertArrayEquals(
            marker,
            BootstrapInjector.classFile(opened, fromJar, BootstrapInjector.DISPATCHER),
            "read from the jar itself");
      }
    }
    // From a directory of classes (these tests): no jar, the class loader answers.
    assertNull(BootstrapInjector.agentJar(BootstrapInjectorTest.class));
    assertArrayEquals(
        hooksBytes,
        BootstrapInjector.classFile(
            null, BootstrapInjectorTest.class.getClassLoader(), SocketHooks.class.getName()));
  }

  @Test
  void listsEachClassOnce() {
    assertEquals(BootstrapInjector.CLASSES.size(), new HashSet<>(BootstrapInjector.CLASSES).size());
  }

  @Test
  void hooksInterfaceComesFirst() throws Exception {
    assertEquals(SocketHooks.class.getName(), BootstrapInjector.CLASSES.get(0));
    assertTrue(load(BootstrapInjector.CLASSES.get(0)).isInterface());
    assertTrue(BootstrapInjector.CLASSES.contains(BootstrapInjector.DISPATCHER));
  }

  /**
   * Unsafe.defineClass resolves supertypes at once, so each must be defined before its subtypes.
   */
  @Test
  void supertypesComeBeforeTheirSubtypes() throws Exception {
    List<String> order = BootstrapInjector.CLASSES;
    for (int i = 0; i < order.size(); i++) {
      Class<?> type = load(order.get(i));
      List<Class<?>> supertypes = new ArrayList<>(List.of(type.getInterfaces()));
      if (type.getSuperclass() != null) {
        supertypes.add(type.getSuperclass());
      }
      for (Class<?> supertype : supertypes) {
        if (supertype.getName().startsWith(PACKAGE + ".")) {
          int at = order.indexOf(supertype.getName());
          assertTrue(
              at >= 0 && at < i,
              type.getName()
                  + " is listed before (or without) its supertype "
                  + supertype.getName());
        }
      }
    }
  }

  @Test
  void bootstrapClassesUseOnlyTheJdk() throws Exception {
    for (String name : BootstrapInjector.CLASSES) {
      Class<?> type = load(name);
      for (Class<?> i : type.getInterfaces()) {
        assertTrue(
            i.getName().startsWith("java.") || i.getName().startsWith(PACKAGE + "."), i.getName());
      }
      Class<?> superclass = type.getSuperclass();
      if (superclass != null) {
        assertTrue(superclass.getName().startsWith("java."), superclass.getName());
      }
    }
  }

  private static Class<?> load(String name) throws ClassNotFoundException {
    return Class.forName(name, false, BootstrapInjectorTest.class.getClassLoader());
  }
}
