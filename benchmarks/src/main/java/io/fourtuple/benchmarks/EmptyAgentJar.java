package io.fourtuple.benchmarks;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Writes the do-nothing agent jar the startup breakdown runs as its "empty-agent" reference. */
final class EmptyAgentJar {
  static final String CLASS = "io.fourtuple.benchmarks.workload.EmptyAgent";

  private EmptyAgentJar() {}

  static File write(File directory) {
    File jar = new File(directory, "empty-agent.jar");
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.putValue("Premain-Class", CLASS);
    // The same capabilities fourtuple asks for, so the floor includes what they cost the JVM.
    main.putValue("Can-Redefine-Classes", "true");
    main.putValue("Can-Retransform-Classes", "true");
    String entry = CLASS.replace('.', '/') + ".class";
    try (InputStream in = EmptyAgentJar.class.getClassLoader().getResourceAsStream(entry);
        OutputStream file = new FileOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      if (in == null) {
        throw new BenchmarkFailure("cannot find " + entry + " in the benchmarks jar");
      }
      out.putNextEntry(new JarEntry(entry));
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      out.closeEntry();
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot write " + jar + ": " + e);
    }
    return jar;
  }
}
