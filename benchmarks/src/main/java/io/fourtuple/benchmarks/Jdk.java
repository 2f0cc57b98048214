package io.fourtuple.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A JDK the child JVMs run on: its home, and its version as the {@code release} file states it (or,
 * where there is none, as the JVM itself says). Public for the attach benchmark, which starts its
 * target JVM on one.
 */
public final class Jdk {
  final File home;
  final String version;
  final String vendor;
  final int feature;

  private Jdk(File home, String version, String vendor, int feature) {
    this.home = home;
    this.version = version;
    this.vendor = vendor;
    this.feature = feature;
  }

  /** The JDK at {@code javaHome}; a {@link BenchmarkFailure} if it is none. */
  public static Jdk at(String javaHome) {
    File home = new File(javaHome);
    File java = new File(home, "bin/java");
    if (!java.canExecute()) {
      throw new BenchmarkFailure("no executable " + java + " (is " + javaHome + " a JAVA_HOME?)");
    }
    File releaseFile = new File(home, "release");
    Properties release = releaseFile.isFile() ? read(releaseFile) : askJava(java);
    String version = unquote(release.getProperty("JAVA_VERSION", "unknown"));
    String vendor = unquote(release.getProperty("IMPLEMENTOR", "unknown"));
    String runtime = unquote(release.getProperty("JAVA_RUNTIME_VERSION", version));
    return new Jdk(home, runtime, vendor, featureOf(version));
  }

  private static Properties read(File releaseFile) {
    Properties release = new Properties();
    try (InputStream in = new FileInputStream(releaseFile)) {
      release.load(in);
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot read " + releaseFile + ": " + e);
    }
    return release;
  }

  /**
   * The same keys as the {@code release} file, from the JVM's own properties, for a JDK that ships
   * none (Debian's JDK 8 packages, for one): {@code java -XshowSettings:properties -version}.
   */
  private static Properties askJava(File java) {
    Properties release = new Properties();
    try {
      Process p =
          new ProcessBuilder(java.getPath(), "-XshowSettings:properties", "-version")
              .redirectErrorStream(true)
              .start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = out.readLine()) != null; ) {
        String[] pair = line.trim().split(" = ", 2);
        if (pair.length == 2 && pair[0].equals("java.version")) {
          release.setProperty("JAVA_VERSION", pair[1]);
        } else if (pair.length == 2 && pair[0].equals("java.runtime.version")) {
          release.setProperty("JAVA_RUNTIME_VERSION", pair[1]);
        } else if (pair.length == 2 && pair[0].equals("java.vendor")) {
          release.setProperty("IMPLEMENTOR", pair[1]);
        }
      }
      p.waitFor();
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot run " + java + " -version: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchmarkFailure("interrupted");
    }
    if (release.getProperty("JAVA_VERSION") == null) {
      throw new BenchmarkFailure(java + " -XshowSettings:properties does not name java.version");
    }
    return release;
  }

  public String java() {
    return new File(home, "bin/java").getPath();
  }

  /**
   * The flags that open the JDK internals the workloads read ({@code KernelView}, {@code
   * AppSetNoPort}) to the class path: two {@code --add-opens} on JDK 9+, none on JDK 8, which has
   * no modules and rejects the flag. A configuration that gets them gives them to every
   * configuration it is compared with, with or without the agent.
   */
  public List<String> openInternals() {
    return feature >= 9
        ? Arrays.asList(
            "--add-opens",
            "java.base/java.net=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED")
        : new ArrayList<String>();
  }

  /** "17" for JDK 17, "8" for 1.8. */
  String label() {
    return "JDK " + feature;
  }

  @Override
  public String toString() {
    return label() + " (" + version + ", " + vendor + ", " + home + ")";
  }

  private static int featureOf(String version) {
    String v = version.startsWith("1.") ? version.substring(2) : version;
    int end = 0;
    while (end < v.length() && Character.isDigit(v.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")
        ? s.substring(1, s.length() - 1)
        : s;
  }
}
