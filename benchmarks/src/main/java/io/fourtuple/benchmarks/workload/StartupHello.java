package io.fourtuple.benchmarks.workload;

/**
 * The startup baseline: a program that touches no socket, so that with the agent the time measured
 * is the agent's own start (configuration, bootstrap injection, transformer) and nothing it hooks.
 *
 * <p>Its first action reads the wall clock ({@code System.currentTimeMillis()}, which loads no
 * class and costs nanoseconds): the harness takes its own reading just before starting the JVM, and
 * the difference is the time to {@code main}, premain included. Not {@code ManagementFactory}'s
 * uptime (its JMX classes cost ~250 ms) nor {@code -Xlog} (which slows the run it measures). Both
 * processes read the same clock; its millisecond resolution is fine for a median over 20 runs.
 */
public final class StartupHello {
  private StartupHello() {}

  public static void main(String[] args) {
    long atMain = System.currentTimeMillis();
    System.out.println("RESULT greeting=hello mainAtMillis=" + atMain);
  }
}
