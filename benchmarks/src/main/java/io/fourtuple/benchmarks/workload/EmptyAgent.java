package io.fourtuple.benchmarks.workload;

import java.lang.instrument.Instrumentation;

/**
 * A Java agent that does nothing, packaged by the harness into its own jar with the same
 * capabilities as fourtuple's manifest. Its startup cost is the JVM's floor for any {@code
 * -javaagent} (the {@code java.instrument} module, JVMTI, opening the jar), which the startup
 * report separates from fourtuple's own cost.
 */
public final class EmptyAgent {
  private EmptyAgent() {}

  public static void premain(String args, Instrumentation instrumentation) {}
}
