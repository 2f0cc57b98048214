package io.fourtuple.clients;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The version of a loaded library, read from the name of the jar its class came from. */
final class Versions {
  private static final Pattern JAR = Pattern.compile("-(\\d[^/]*)\\.jar$");

  private Versions() {}

  static String of(Class<?> type) {
    try {
      String location = type.getProtectionDomain().getCodeSource().getLocation().getPath();
      Matcher m = JAR.matcher(location);
      if (m.find()) {
        return m.group(1);
      }
    } catch (RuntimeException e) {
      // fall through
    }
    String version = type.getPackage().getImplementationVersion();
    return version == null ? "unknown" : version;
  }
}
