package io.fourtuple.benchmarks.workload;

/**
 * The startup baseline: a program that touches no socket, so that with the agent the time measured
 * is the agent's own start (configuration, bootstrap injection, transformer) and nothing it hooks.
 */
public final class StartupHello {
  private StartupHello() {}

  public static void main(String[] args) {
    System.out.println("RESULT greeting=hello");
  }
}
