package io.fourtuple.agent.core.control;

import io.fourtuple.agent.core.config.AgentArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The control part of an agent argument string: what the command line (or a user of {@code
 * jattach}) asks a running JVM to do, split from the configuration keys that {@code ConfigParser}
 * reads.
 *
 * <p>Three keys are reserved for it: {@code command=attach|status|report|detach} (default {@code
 * attach}), {@code reply=/path} (where to write the answer; without it the answer goes to the
 * agent's log) and {@code format=text|json}. Everything else is configuration and is passed on
 * untouched, in order. Why a key in the agent arguments and not a socket: nothing in the target
 * listens on a port; each command is one more {@code loadAgent} of the same jar, which the JVM
 * routes to the running agent's {@code agentmain}.
 */
public final class ControlRequest {

  /** What the caller asks for. */
  public enum Command {
    /** Start the agent (the default, as for {@code -javaagent}); a no-op when it is running. */
    ATTACH,
    /** Describe the running agent: settings, counters, sockets, call sites. */
    STATUS,
    /** The audit report: per call site, what enforce would change and the fix. */
    REPORT,
    /** Remove the hooks and restore the original bytecode. */
    DETACH
  }

  /** Exit codes of the command line, carried back in the reply. */
  public static final int OK = 0;

  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int NOT_ATTACHED = 3;

  /** The command line's own: it could not attach to the JVM at all. */
  public static final int CANNOT_ATTACH = 4;

  /**
   * The system property the running agent sets in its JVM ({@code enforce}, {@code audit}, or
   * {@code detached}), readable from outside through the attach API. Outside the {@code fourtuple.}
   * namespace on purpose: that namespace is configuration, and an unknown key there fails the next
   * attach.
   */
  public static final String STATE_PROPERTY = "io.fourtuple.state";

  public static final String COMMAND = "command";
  public static final String REPLY = "reply";
  public static final String FORMAT = "format";

  private final Command command;
  private final String reply;
  private final boolean json;
  private final String configArgs;
  private final String problem;

  private ControlRequest(
      Command command, String reply, boolean json, String configArgs, String problem) {
    this.command = command;
    this.reply = reply;
    this.json = json;
    this.configArgs = configArgs;
    this.problem = problem;
  }

  /**
   * Splits {@code agentArgs}. Never throws: a bad control value is kept as {@link #problem()}, so
   * the answer can still go to the reply file the caller named.
   */
  public static ControlRequest parse(String agentArgs) {
    Command command = Command.ATTACH;
    String reply = null;
    boolean json = false;
    String problem = null;
    List<AgentArgs.Pair> rest = new ArrayList<AgentArgs.Pair>();
    for (AgentArgs.Pair pair : AgentArgs.split(agentArgs)) {
      String value = pair.value == null ? "" : pair.value.trim();
      if (pair.key.equals(COMMAND)) {
        Command c = command(value);
        if (c == null) {
          problem =
              "agent argument command='"
                  + value
                  + "' is not valid: expected attach, status, report or detach";
        } else {
          command = c;
        }
      } else if (pair.key.equals(REPLY)) {
        if (value.isEmpty()) {
          problem = "agent argument reply= needs a file path";
        } else {
          reply = value;
        }
      } else if (pair.key.equals(FORMAT)) {
        String f = value.toLowerCase(Locale.ROOT);
        if (!f.equals("json") && !f.equals("text")) {
          problem = "agent argument format='" + value + "' is not valid: expected text or json";
        }
        json = f.equals("json");
      } else {
        rest.add(pair);
      }
    }
    return new ControlRequest(command, reply, json, AgentArgs.join(rest), problem);
  }

  private static Command command(String value) {
    for (Command c : Command.values()) {
      if (c.name().equalsIgnoreCase(value)) {
        return c;
      }
    }
    return null;
  }

  /** What was wrong with the control keys, or null. */
  public String problem() {
    return problem;
  }

  public Command command() {
    return command;
  }

  /** The file to write the answer to, or null: then the answer is logged. */
  public String reply() {
    return reply;
  }

  public boolean json() {
    return json;
  }

  /** The configuration part, for {@code ConfigParser}; null when there is none. */
  public String configArgs() {
    return configArgs;
  }
}
