package io.fourtuple.agent.core.report;

/**
 * The application frame responsible for a socket operation: the first frame of a stack that belongs
 * neither to the JDK nor to fourtuple nor to a framework ({@code callsite.skip}); where there is
 * none, what made the call, in words.
 */
public final class CallSite {
  private static final String[] PLATFORM_PREFIXES = {
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "io.fourtuple.agent.", "io.fourtuple.bootstrap."
  };

  /** The default of {@code callsite.skip}: frameworks that connect for the application. */
  public static final String DEFAULT_FRAMEWORKS =
      "io.netty.:io.vertx.:reactor.netty.:reactor.core.:reactor.util.:io.grpc.:"
          + "com.google.common.util.concurrent.:org.apache.hc.core5.:org.apache.hc.client5.:"
          + "io.lettuce.";

  private static volatile String[] frameworks = DEFAULT_FRAMEWORKS.split(":");

  private CallSite() {}

  /** The framework prefixes ({@code callsite.skip}); none: only platform frames are skipped. */
  public static void frameworks(String[] prefixes) {
    frameworks = prefixes.clone();
  }

  /**
   * A stack to name a call site by later, taken on the calling thread: its message is the thread's
   * name, for a stack without an application frame.
   */
  public static Throwable here() {
    return new Throwable(Thread.currentThread().getName());
  }

  /** {@link #of(StackTraceElement[], String)} for a stack taken by {@link #here()}. */
  public static String of(Throwable stack) {
    return of(stack.getStackTrace(), stack.getMessage());
  }

  /** {@link #of(StackTraceElement[], String)} with the thread unknown. */
  public static String of(StackTraceElement[] stack) {
    return of(stack, null);
  }

  /**
   * {@code com.example.Pool.open(Pool.java:42)}; with only framework frames, {@code connect
   * scheduled by C (no application frame)} when a timer ran it, else {@code made on T by F} ({@code
   * thread} without its numbers); {@code unknown} when every frame is platform code.
   */
  public static String of(StackTraceElement[] stack, String thread) {
    StackTraceElement firstFramework = null;
    boolean timer = false;
    for (StackTraceElement frame : stack) {
      String className = frame.getClassName();
      timer |= isTimer(className, frame.getMethodName());
      if (isPlatform(className)) {
        continue;
      }
      if (!isFramework(className)) {
        return frame.toString();
      }
      if (firstFramework == null) {
        firstFramework = frame;
      }
    }
    if (firstFramework == null) {
      return "unknown (only JDK frames on the stack)";
    }
    if (timer) {
      return "connect scheduled by " + firstFramework.getClassName() + " (no application frame)";
    }
    return "made on " + threadName(thread) + " by " + firstFramework;
  }

  /** A thread's name without the numbers that tell a pool's threads apart. */
  static String threadName(String thread) {
    if (thread == null) {
      return "a framework thread";
    }
    int end = thread.length();
    while (end > 0 && "-0123456789#".indexOf(thread.charAt(end - 1)) >= 0) {
      end--;
    }
    return end == 0 ? thread : thread.substring(0, end);
  }

  /** A timer's task: the connect was scheduled (a reconnect), not asked for by a caller. */
  static boolean isTimer(String className, String method) {
    return className.startsWith("reactor.core.scheduler.")
        || (method.equals("run")
            && (className.endsWith("ScheduledFutureTask")
                || className.endsWith("HashedWheelTimer$HashedWheelTimeout")));
  }

  /**
   * Whether a frame of {@code className} is a framework's: a prefix, or a relocated copy of one.
   */
  static boolean isFramework(String className) {
    for (String prefix : frameworks) {
      if (className.startsWith(prefix) || className.contains("." + prefix)) {
        return true;
      }
    }
    return false;
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
