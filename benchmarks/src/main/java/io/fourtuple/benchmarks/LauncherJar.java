package io.fourtuple.benchmarks;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes a jar with no classes of its own whose manifest starts a workload from the benchmarks jar
 * ({@code Main-Class}, {@code Class-Path}) with the JDK internals the workloads read opened to it
 * ({@code Add-Opens: java.base/java.net java.base/sun.nio.ch}, the same as the two {@code
 * --add-opens} flags).
 *
 * <p>Why not the flags: on JDK 17 and 25 any {@code --add-opens} on the command line turns off the
 * class-data-sharing archive's module graph ({@code -Xlog:cds}: "full module graph: disabled"), so
 * every start builds it again; on this machine a hello-world took 40-60 ms longer. That is in both
 * configurations, but it changes the start the startup benchmark measures. The launcher applies the
 * manifest's {@code Add-Opens} after the VM has started from the archive. JDK 8, which has no
 * modules, ignores the attribute.
 */
final class LauncherJar {
  private LauncherJar() {}

  static File write(File directory, String mainClass, File benchmarksJar) {
    File jar = new File(directory, mainClass.substring(mainClass.lastIndexOf('.') + 1) + ".jar");
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(Attributes.Name.MAIN_CLASS, mainClass);
    // A URL relative to this jar; an absolute path is one, percent-encoded as URLs are.
    main.put(Attributes.Name.CLASS_PATH, benchmarksJar.getAbsoluteFile().toURI().getRawPath());
    main.putValue("Add-Opens", "java.base/java.net java.base/sun.nio.ch");
    try (FileOutputStream file = new FileOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.flush();
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot write " + jar + ": " + e);
    }
    return jar;
  }
}
