package io.fourtuple.benchmarks;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** A JDK the child JVMs run on: its home, and its version as the {@code release} file states it. */
final class Jdk {
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

  static Jdk at(String javaHome) {
    File home = new File(javaHome);
    File java = new File(home, "bin/java");
    if (!java.canExecute()) {
      throw new BenchmarkFailure("no executable " + java + " (is " + javaHome + " a JAVA_HOME?)");
    }
    Properties release = new Properties();
    try (InputStream in = new FileInputStream(new File(home, "release"))) {
      release.load(in);
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot read " + home + "/release: " + e);
    }
    String version = unquote(release.getProperty("JAVA_VERSION", "unknown"));
    String vendor = unquote(release.getProperty("IMPLEMENTOR", "unknown"));
    String runtime = unquote(release.getProperty("JAVA_RUNTIME_VERSION", version));
    return new Jdk(home, runtime, vendor, featureOf(version));
  }

  String java() {
    return new File(home, "bin/java").getPath();
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
