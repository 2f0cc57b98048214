package io.fourtuple.agent;

import io.fourtuple.agent.core.control.ControlRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The running agent as seen from a later {@code agentmain} call (a {@code status}, {@code report}
 * or {@code detach} from the command line, or a second attach): the one place that remembers it,
 * and so, read under {@code AgentStarter.start}'s lock, the one attach-once guard; also the one
 * place for the agent's version. The answer to such a command goes to {@code
 * core.control.ReplyFile}.
 *
 * <p>Hazard: this class must not link against {@code io.fourtuple.bootstrap} (it is used before the
 * bootstrap zone exists), so the running agent is held through the {@link Active} interface.
 *
 * <p>Why a static field works across attaches: every {@code loadAgent} of the agent jar resolves
 * the agent class through the system class loader, which already has it; the statics of the first
 * load are the statics every later load sees.
 */
final class AgentControl {
  /** What a later command can do with the running agent. */
  interface Active {
    /** {@code enforce} or {@code audit}. */
    String mode();

    /** One line: mode, since when, how it was loaded. */
    String describe();

    /** The status (or, with {@code audit}, the audit report), as text or JSON. */
    String status(boolean auditReport, boolean json);

    /** Removes the hooks and restores the original bytecode; returns what was done. */
    String detach();
  }

  private static volatile Active current;

  private AgentControl() {}

  static Active current() {
    return current;
  }

  static synchronized void started(Active agent) {
    current = agent;
    System.setProperty(ControlRequest.STATE_PROPERTY, agent.mode());
  }

  /**
   * The agent's version: the jar manifest's {@code Implementation-Version}, which the JVM has read
   * already (a resource lookup would first search the boot and platform loaders, opening the
   * runtime image: some 30 classes); the properties file when running from a class folder.
   */
  static String version() {
    Package own = AgentControl.class.getPackage();
    String fromManifest = own == null ? null : own.getImplementationVersion();
    if (fromManifest != null) {
      return fromManifest;
    }
    try (InputStream in =
        AgentControl.class.getResourceAsStream("/io/fourtuple/agent/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static synchronized void detached(Active agent) {
    if (current == agent) {
      current = null;
      System.setProperty(ControlRequest.STATE_PROPERTY, "detached");
    }
  }
}
