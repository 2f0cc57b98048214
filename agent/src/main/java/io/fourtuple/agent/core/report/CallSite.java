package io.fourtuple.agent.core.report;

/**
 * The application frame responsible for a socket operation: the first frame of a stack that belongs neither
 * to the JDK nor to fourtuple.
 */
public final class CallSite {
  private static final String[] PLATFORM_PREFIXES = {
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "io.fourtuple.agent.", "io.fourtuple.bootstrap."
  };

  private CallSite() {}

  /** {@code com.example.Pool.open(Pool.java:42)}, or {@code unknown} when every frame is platform code. */
  public static String of(StackTraceElement[] stack) {
    for (StackTraceElement frame : stack) {
      if (!isPlatform(frame.getClassName())) {
        return frame.toString();
      }
    }
    return "unknown (only JDK frames on the stack)";
  }

  static boolean isPlatform(String className) {
    for (String prefix : PLATFORM_PREFIXES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
