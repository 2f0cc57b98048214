package io.fourtuple.agent;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.ConfigException;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.logging.AgentLoggers;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;

/**
 * Starts the agent: configuration, logging, the bootstrap zone, the hooks, the startup line. Called once per
 * {@code premain} or {@code agentmain}; an agent already running in this JVM is left as it is.
 *
 * <p>Order matters: configuration is read before anything is changed (bad configuration leaves the JVM
 * untouched); the bootstrap zone is injected before any class that links against the dispatcher is loaded;
 * the dispatcher gets its delegate before the transformer is installed, so no hooked socket is missed.
 */
final class AgentStarter {
  private AgentStarter() {}

  /** Thrown only when the user asked for strict mode and the configuration is invalid. */
  static final class StrictModeFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StrictModeFailure(String message) {
      super(message);
    }
  }

  static void start(String args, Instrumentation instrumentation, boolean attached)
      throws Exception {
    long startNanos = System.nanoTime();
    Map<String, String> properties = systemProperties();
    Map<String, String> environment = System.getenv();
    AgentConfig config;
    try {
      config = ConfigParser.parse(args, properties, environment);
      AgentLoggers.configure(config.logLevel(), config.logFile());
    } catch (ConfigException | IOException e) {
      String problem =
          e instanceof ConfigException
              ? e.getMessage()
              : Setting.LOG_FILE.propertyName() + " cannot be opened: " + e;
      refuse(problem, ConfigParser.strictRequested(args, properties, environment));
      return;
    }
    Logger log = AgentLoggers.get(AgentStarter.class);
    log.debug("configuration: {}", config.describe());
    if (!config.enabled()) {
      log.info(
          "fourtuple {} is disabled by {}=false ({}); nothing was changed",
          version(),
          Setting.ENABLED.propertyName(),
          config.source(Setting.ENABLED));
      return;
    }
    // Everything that links against io.fourtuple.bootstrap lives in AgentRuntime, which the JVM loads
    // only when this line runs: after prepare() has defined those classes in the bootstrap loader.
    long configuredNanos = System.nanoTime();
    Installer.prepare(instrumentation, FourtupleAgent.class);
    log.debug(
        "startup: configuration {} ms, bootstrap injection and module edges {} ms",
        (configuredNanos - startNanos) / 1_000_000,
        (System.nanoTime() - configuredNanos) / 1_000_000);
    AgentRuntime.start(config, instrumentation, attached, log, startNanos);
  }

  /** Reports invalid configuration once and stays out, or fails the start in strict mode. */
  private static void refuse(String problem, boolean strict) {
    String message =
        "fourtuple: invalid configuration: "
            + problem
            + (strict
                ? " (fourtuple.strict=true: failing the JVM start)"
                : "; the agent is not active and the application runs without it");
    if (strict) {
      throw new StrictModeFailure(message);
    }
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
    err.println(message);
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> out = new HashMap<String, String>();
    Properties properties = System.getProperties();
    for (String name : properties.stringPropertyNames()) {
      out.put(name, properties.getProperty(name));
    }
    return out;
  }

  static String version() {
    try (InputStream in =
        AgentStarter.class.getResourceAsStream("/io/fourtuple/agent/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
