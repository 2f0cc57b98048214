package io.fourtuple.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JDK of the test matrix. The matrix is 8, 11, 17, 21 and 25; {@code
 * -Dit.jdks=8=/path,11=/path,...} (or the environment variable {@code IT_JDKS}) names the ones to
 * run on (the others are skipped, so {@code IT_JDKS=8=...,17=...} runs a test on those two only);
 * when it is empty the places {@code ../shared/tools/jdks.sh} and the machine image put them are
 * searched. With {@code -Dit.requireAllJdks=true} (CI) a missing JDK fails the run; otherwise it is
 * skipped with a message.
 */
record Jdk(String label, Path home, List<String> extraJvmArgs) {
  static final List<String> MATRIX = List.of("8", "11", "17", "21", "25");

  Path java() {
    return home.resolve("bin/java");
  }

  @Override
  public String toString() {
    return "JDK " + label;
  }

  /** The matrix, one entry per JDK (found or not: a missing one has a null home). */
  static List<Jdk> matrix() {
    Map<String, Path> found = new LinkedHashMap<>();
    String configured = System.getProperty("it.jdks", "");
    if (configured.isBlank() || configured.startsWith("${")) {
      configured = System.getenv().getOrDefault("IT_JDKS", "");
    }
    for (String entry : configured.split(",")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        found.put(entry.substring(0, eq).trim(), Paths.get(entry.substring(eq + 1).trim()));
      }
    }
    String home = System.getProperty("user.home");
    Map<String, List<String>> candidates =
        Map.of(
            "8", List.of(home + "/.cache/jdks/jdk-8"),
            "11", List.of(home + "/.cache/jdks/jdk-11"),
            "17",
                List.of(
                    "/usr/lib/jvm/java-17-openjdk-amd64",
                    "/usr/lib/jvm/temurin-17-jdk-amd64",
                    System.getProperty("java.home")),
            "21", List.of(home + "/.cache/jdks/jdk-21", "/usr/lib/jvm/temurin-21-jdk-amd64"),
            "25", List.of("/usr/lib/jvm/temurin-25-jdk-amd64", home + "/.cache/jdks/jdk-25"));
    List<Jdk> out = new ArrayList<>();
    boolean listed = !found.isEmpty();
    for (String major : MATRIX) {
      Path path = found.get(major);
      if (path == null && !listed) {
        for (String candidate : candidates.get(major)) {
          Path p = Paths.get(candidate);
          if (Files.isExecutable(p.resolve("bin/java")) && versionOf(p).equals(major)) {
            path = p;
            break;
          }
        }
      }
      out.add(new Jdk(major, path, List.of()));
    }
    return out;
  }

  /** The matrix plus JDK 17 with the pre-13 socket implementation selected. */
  static List<Jdk> matrixWithPlainSocketImpl() {
    List<Jdk> out = new ArrayList<>(matrix());
    for (Jdk jdk : matrix()) {
      if (jdk.label.equals("17")) {
        out.add(
            new Jdk(
                "17 (usePlainSocketImpl)", jdk.home, List.of("-Djdk.net.usePlainSocketImpl=true")));
      }
    }
    return out;
  }

  private static String versionOf(Path home) {
    try {
      Path release = home.resolve("release");
      if (Files.exists(release)) {
        for (String line : Files.readAllLines(release)) {
          if (line.startsWith("JAVA_VERSION=")) {
            String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
            return v.startsWith("1.") ? v.substring(2, 3) : v.split("[.+-]")[0];
          }
        }
      }
      if (home.toString().contains("-8")) {
        return "8";
      }
    } catch (Exception e) {
      return "?";
    }
    return "?";
  }
}
