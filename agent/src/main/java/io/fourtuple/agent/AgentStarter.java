package io.fourtuple.agent;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.ConfigException;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.control.ControlRequest;
import io.fourtuple.agent.core.control.ReplyFile;
import io.fourtuple.agent.core.report.OutputFiles;
import io.fourtuple.agent.instrumentation.Installer;
import io.fourtuple.agent.logging.AgentLoggers;
import io.fourtuple.agent.platform.ProcessId;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;

/**
 * Starts the agent: configuration, logging, the bootstrap zone, the hooks, the startup line. Called
 * once per {@code premain} or {@code agentmain}; an agent already running in this JVM is left as it
 * is.
 *
 * <p>Order matters: configuration is read before anything is changed (bad configuration leaves the
 * JVM untouched); the bootstrap zone is injected before any class that links against the dispatcher
 * is loaded; the dispatcher gets its delegate before the transformer is installed, so no hooked
 * socket is missed.
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

  /**
   * Synchronized: with {@link AgentControl#current()} this is the one attach-once guard (two
   * attaches at once see one start).
   */
  static synchronized void start(
      String agentArgs, Instrumentation instrumentation, boolean attached) throws Exception {
    long startNanos = System.nanoTime();
    ControlRequest control = ControlRequest.parse(agentArgs);
    if (control.reply() != null) {
      String refusal = ReplyFile.refusal(control.reply(), OutputFiles.ownUid());
      if (refusal != null) {
        AgentLoggers.get(AgentStarter.class)
            .warn(
                "fourtuple refused command={}: reply={} is not in a private directory made by the"
                    + " fourtuple command line ({}); nothing was done",
                control.command().name().toLowerCase(Locale.ROOT),
                control.reply(),
                refusal);
        return;
      }
    }
    if (control.problem() != null) {
      answer(
          control, ControlRequest.USAGE, "fourtuple: " + control.problem() + "; nothing was done");
      return;
    }
    if (control.command() != ControlRequest.Command.ATTACH) {
      command(control);
      return;
    }
    AgentControl.Active running = AgentControl.current();
    if (running != null) {
      AgentLoggers.get(AgentStarter.class)
          .info(
              "fourtuple is already running in this JVM ({}); this attach changed nothing",
              running.describe());
      answer(
          control,
          ControlRequest.OK,
          "fourtuple is already attached to this JVM ("
              + running.describe()
              + "); nothing changed. To change its settings, detach and attach again.");
      return;
    }
    String args = control.configArgs();
    Map<String, String> properties = systemProperties();
    Map<String, String> environment = System.getenv();
    AgentConfig config;
    try {
      config = ConfigParser.parse(args, properties, environment);
      AgentLoggers.configure(config.logLevel(), config.logFile());
    } catch (ConfigException | IOException e) {
      // OutputFiles' refusals are plain IOExceptions whose message says it all; the JDK's name the
      // path only, so their type stays.
      String problem =
          e instanceof ConfigException
              ? e.getMessage()
              : Setting.LOG_FILE.propertyName()
                  + " cannot be opened: "
                  + (e.getClass() == IOException.class ? e.getMessage() : e.toString());
      if (control.reply() != null) {
        answer(
            control,
            ControlRequest.USAGE,
            "fourtuple: invalid configuration: " + problem + "; nothing was changed");
      }
      refuse(problem, ConfigParser.strictRequested(args, properties, environment));
      return;
    }
    Logger log = AgentLoggers.get(AgentStarter.class);
    log.debug("configuration: {}", config.describe());
    if (!config.enabled()) {
      log.info(
          "fourtuple {} is disabled by {}=false ({}); nothing was changed",
          AgentControl.version(),
          Setting.ENABLED.propertyName(),
          config.source(Setting.ENABLED));
      if (control.reply() != null) { // at -javaagent the line above is the one answer
        answer(
            control,
            ControlRequest.OK,
            "fourtuple is disabled by "
                + Setting.ENABLED.propertyName()
                + "=false ("
                + config.source(Setting.ENABLED)
                + "); nothing was changed");
      }
      return;
    }
    // Everything that links against io.fourtuple.bootstrap lives in RunningAgent, which the JVM
    // loads only when this line runs: after prepare() has defined those classes in the bootstrap
    // loader.
    long configuredNanos = System.nanoTime();
    Installer.prepare(instrumentation, AgentStarter.class);
    log.debug(
        "startup: configuration {} ms, bootstrap injection and module edges {} ms",
        (configuredNanos - startNanos) / 1_000_000,
        (System.nanoTime() - configuredNanos) / 1_000_000);
    RunningAgent started;
    try {
      started = RunningAgent.start(config, instrumentation, attached, startNanos);
    } catch (RuntimeException | LinkageError e) {
      answer(control, ControlRequest.FAILED, "fourtuple did not start: " + e);
      throw e;
    }
    AgentControl.started(started);
    if (!attached && control.reply() == null) {
      // Nobody waits for this answer at -javaagent: RunningAgent logs it with the startup line,
      // from its own thread or the exit hook, not from the thread on its way to main.
      return;
    }
    answer(
        control,
        ControlRequest.OK,
        "attached to pid "
            + ProcessId.text()
            + " in "
            + (System.nanoTime() - startNanos) / 1_000_000
            + " ms: "
            + started.describe());
  }

  /** {@code status}, {@code report} and {@code detach}: answered by the running agent, if any. */
  private static void command(ControlRequest control) {
    AgentControl.Active running = AgentControl.current();
    if (running == null) {
      answer(
          control,
          ControlRequest.NOT_ATTACHED,
          "fourtuple is not attached to this JVM"
              + ("detached".equals(System.getProperty(ControlRequest.STATE_PROPERTY))
                  ? " (it was, and has been detached)"
                  : ""));
      return;
    }
    switch (control.command()) {
      case DETACH:
        answer(control, ControlRequest.OK, running.detach());
        break;
      case REPORT:
        answer(control, ControlRequest.OK, running.status(true, control.json()));
        break;
      default:
        answer(control, ControlRequest.OK, running.status(false, control.json()));
        break;
    }
  }

  /**
   * Sends the answer to the reply file the command line named, or to the agent's log without one.
   */
  private static void answer(ControlRequest control, int exitCode, String body) {
    if (control.reply() != null) {
      try {
        ReplyFile.write(control.reply(), exitCode, body);
      } catch (IOException | RuntimeException e) {
        AgentLoggers.get(AgentStarter.class)
            .warn("fourtuple could not write its answer to reply={}: {}", control.reply(), e);
      }
    } else if (exitCode == ControlRequest.OK) {
      AgentLoggers.get(AgentStarter.class).info("{}", body);
    } else {
      AgentLoggers.get(AgentStarter.class).warn("{}", body);
    }
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
}
