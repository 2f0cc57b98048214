package io.fourtuple.agent;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry class, named in the jar's manifest for {@code -javaagent} (premain) and for hot
 * attach (agentmain). It only hands over to {@link AgentStarter}.
 *
 * <p>Hazards: this class is loaded by the system class loader before anything is set up, on any JDK
 * from 8 on. It holds no state and references nothing but {@link AgentStarter}; logging does not
 * exist yet, so the last-resort catch prints to standard error. Only a strict-mode configuration
 * error escapes, on purpose, to fail the JVM start.
 */
public final class FourtupleAgent {
  private FourtupleAgent() {}

  public static void premain(String args, Instrumentation instrumentation) {
    start(args, instrumentation, false);
  }

  public static void agentmain(String args, Instrumentation instrumentation) {
    start(args, instrumentation, true);
  }

  private static void start(String args, Instrumentation instrumentation, boolean attached) {
    try {
      AgentStarter.start(args, instrumentation, attached);
    } catch (AgentStarter.StrictModeFailure strict) {
      throw strict;
    } catch (Throwable t) {
      System.err.println(
          "fourtuple: the agent failed to start and stays out of the way; the application runs"
              + " without it: "
              + t);
      t.printStackTrace();
    }
  }
}
