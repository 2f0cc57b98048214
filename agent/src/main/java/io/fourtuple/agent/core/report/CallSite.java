package io.fourtuple.agent.core.report;

/**
 * The application frame responsible for a socket operation: the first frame of a stack that belongs
 * neither to the JDK nor to fourtuple (nor to Netty, when another frame follows).
 */
public final class CallSite {
  private static final String[] PLATFORM_PREFIXES = {
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "io.fourtuple.agent.", "io.fourtuple.bootstrap."
  };

  private CallSite() {}

  /**
   * {@code com.example.Pool.open(Pool.java:42)}, or {@code unknown} when every frame is platform
   * code.
   */
  public static String of(StackTraceElement[] stack) {
    // Netty's own frames (relocated copies too) are skipped when an application frame follows, as
    // on a thread that calls Bootstrap.connect; on an event loop only Netty is on the stack, and
    // its first frame is the most precise answer there is.
    StackTraceElement firstNetty = null;
    for (StackTraceElement frame : stack) {
      String className = frame.getClassName();
      if (isPlatform(className)) {
        continue;
      }
      if (!isNetty(className)) {
        return frame.toString();
      }
      if (firstNetty == null) {
        firstNetty = frame;
      }
    }
    return firstNetty != null ? firstNetty.toString() : "unknown (only JDK frames on the stack)";
  }

  static boolean isNetty(String className) {
    return className.startsWith("io.netty.") || className.contains(".io.netty.");
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
