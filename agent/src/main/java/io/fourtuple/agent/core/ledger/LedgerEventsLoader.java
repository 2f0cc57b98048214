package io.fourtuple.agent.core.ledger;

/**
 * Finds the JFR sink for the ledger's events, without linking to {@code jdk.jfr}: the sink's class
 * is named as a string and loaded only after {@code jdk.jfr.FlightRecorder} resolved and reports
 * itself available, so on a JDK without JFR (8 before 8u272, or a runtime image without the module)
 * nothing of it is loaded and the agent runs on.
 */
public final class LedgerEventsLoader {
  static final String JFR_SINK = "io.fourtuple.agent.jfr.JfrLedgerEvents";

  private String problem;

  /** The sink, or null (see {@link #problem()}). */
  public LedgerEvents load(ClassLoader agentLoader) {
    try {
      Class<?> recorder = Class.forName("jdk.jfr.FlightRecorder", false, agentLoader);
      Object available = recorder.getMethod("isAvailable").invoke(null);
      if (!Boolean.TRUE.equals(available)) {
        problem = "JFR is not available in this JVM";
        return null;
      }
    } catch (ClassNotFoundException | LinkageError e) {
      problem = "this JDK has no jdk.jfr";
      return null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      problem = "jdk.jfr.FlightRecorder.isAvailable failed: " + e;
      return null;
    }
    try {
      return (LedgerEvents)
          Class.forName(JFR_SINK, true, agentLoader).getConstructor().newInstance();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      problem = "the JFR events could not be loaded: " + e;
      return null;
    }
  }

  /** Why {@link #load} returned null. */
  public String problem() {
    return problem;
  }
}
