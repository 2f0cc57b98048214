package io.fourtuple.agent.cli;

import io.fourtuple.agent.core.config.AgentArgs;
import io.fourtuple.agent.core.config.ConfigException;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.config.Durations;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.control.ControlRequest;
import io.fourtuple.agent.core.report.JsonWriter;
import java.io.File;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The attach commands of {@code java -jar fourtuple-agent.jar}: {@code list}, {@code attach},
 * {@code detach}, {@code status} and {@code audit}.
 *
 * <p>How a command reaches a running JVM without any port: it loads the agent jar again through the
 * attach API with the agent arguments {@code command=<what>,reply=<file>}; the JVM calls the
 * agent's {@code agentmain}, which finds the agent already running there, does the work on the
 * attach listener thread and writes its answer atomically to the reply file in a private directory
 * that this side made in the target's own {@code /tmp} (see {@link TargetFiles}) and reads back.
 * {@code loadAgent} returns only after {@code agentmain} has, so the answer is complete by then.
 *
 * <p>Hazards: a pid is vetted through {@code /proc} before anything is sent to it (see {@link
 * TargetJvm}); configuration arguments are validated here before attaching, so a typo never reaches
 * the target; the target's files are written and read only through {@link TargetFiles}, and the
 * attach handshake is this side's own ({@link AttachHandshake}), never the JDK client's. What the
 * target answers is printed without control characters.
 *
 * <p>Exit codes: 0 done; 1 the command reached the JVM but failed there; 2 bad usage or arguments;
 * 3 the JVM has no fourtuple attached (status, detach); 4 cannot attach (no such process, not a
 * JVM, another user's JVM, attach disabled, no attach API in this Java).
 */
public final class Cli {
  static final int OK = ControlRequest.OK;
  static final int FAILED = ControlRequest.FAILED;
  static final int USAGE = ControlRequest.USAGE;
  static final int NOT_ATTACHED = ControlRequest.NOT_ATTACHED;
  static final int CANNOT_ATTACH = ControlRequest.CANNOT_ATTACH;

  /** The system property the agent sets in its JVM: enforce, audit or detached. */
  static final String STATE_PROPERTY = ControlRequest.STATE_PROPERTY;

  private final PrintStream out;
  private final PrintStream err;
  private boolean timing;

  /** The agent jar, read once per run (audit sends three commands). */
  private TargetFiles.LocalJar localJar;

  private AttachApi attachApi;

  /** During audit, progress lines go to standard error so standard output is the report alone. */
  private boolean progressToStderr;

  private Cli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Whether {@code command} is one of this class's. */
  public static boolean handles(String command) {
    return Arrays.asList("list", "attach", "detach", "status", "audit").contains(command);
  }

  /** Runs {@code args} (the command first); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Cli cli = new Cli(out, err);
    try {
      return cli.dispatch(args);
    } catch (CliException e) {
      err.println("fourtuple: " + e.getMessage());
      return e.exitCode();
    }
  }

  private int dispatch(String[] all) throws CliException {
    List<String> args = new ArrayList<String>();
    boolean json = false;
    String jsonFile = null;
    String duration = null;
    boolean everyJvm = Arrays.asList(all).contains("--all");
    List<JvmSelection.Rule> rules = new ArrayList<JvmSelection.Rule>();
    for (int i = 1; i < all.length; i++) {
      String a = all[i];
      String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      if (a.equals("--all")) {
        continue;
      } else if (a.equals("--json") && !(everyJvm && all[0].equals("audit"))) {
        json = true;
      } else if (a.equals("--timing")) {
        timing = true;
      } else if (option.equals("--duration")) {
        duration = optionValue(all, i, "30s");
        i += a.equals(option) ? 1 : 0;
      } else if (everyJvm && option.equals("--json")) {
        jsonFile = optionValue(all, i, "host-audit.json");
        i += a.equals(option) ? 1 : 0;
      } else if (everyJvm && (option.equals("--include") || option.equals("--exclude"))) {
        rules.add(JvmSelection.Rule.of(option, optionValue(all, i, "'LegacyService|^4711$'")));
        i += a.equals(option) ? 1 : 0;
      } else if (a.startsWith("--")) {
        boolean selects = option.equals("--include") || option.equals("--exclude");
        throw new CliException(
            USAGE,
            "unknown option %s for %s%s%s (try: help)",
            a,
            all[0],
            everyJvm ? " --all" : "",
            selects ? " (it selects JVMs for audit --all)" : "");
      } else {
        args.add(a);
      }
    }
    if (everyJvm) {
      switch (all[0]) {
        case "status":
          expect(args, 0, 0, "status --all [--json]");
          return new HostAudit(this, out, err).statusAll(json);
        case "audit":
          expect(
              args,
              0,
              1,
              "audit --all [--duration 60s] [--include REGEX] [--exclude REGEX] [--json FILE]"
                  + " [key=value,...]");
          String configArgs = args.isEmpty() ? null : args.get(0);
          validateAudit(configArgs);
          if (jsonFile != null && (jsonFile.isEmpty() || new File(jsonFile).isDirectory())) {
            // Found now, not after the whole duration.
            throw new CliException(USAGE, "--json '" + jsonFile + "' names no file");
          }
          progressToStderr = true;
          return new HostAudit(this, out, err)
              .audit(
                  new JvmSelection(rules),
                  durationMillis(duration == null ? "60s" : duration),
                  configArgs,
                  jsonFile);
        default:
          throw new CliException(USAGE, "--all goes with audit and status only");
      }
    }
    switch (all[0]) {
      case "list":
        expect(args, 0, 0, "list [--json]");
        return list(json);
      case "attach":
        expect(args, 1, 2, "attach <pid | main-class substring> [key=value,...]");
        return attach(resolve(args.get(0)), args.size() > 1 ? args.get(1) : null);
      case "detach":
        expect(args, 1, 1, "detach <pid>");
        return send(resolve(args.get(0)), "detach", null, false);
      case "status":
        expect(args, 1, 1, "status <pid> [--json] | status --all [--json]");
        return send(resolve(args.get(0)), "status", null, json);
      case "audit":
        expect(
            args,
            1,
            2,
            "audit <pid | main-class substring> [--duration 60s] [--json] [key=value,...]"
                + " | audit --all [options]");
        return audit(
            resolve(args.get(0)),
            durationMillis(duration == null ? "60s" : duration),
            args.size() > 1 ? args.get(1) : null,
            json);
      default:
        throw new CliException(USAGE, "unknown command '" + all[0] + "' (try: help)");
    }
  }

  /** The value of option {@code all[i]}: after its {@code =}, or the next argument. */
  private static String optionValue(String[] all, int i, String example) throws CliException {
    String a = all[i];
    int eq = a.indexOf('=');
    if (eq >= 0) {
      return a.substring(eq + 1);
    }
    if (i + 1 >= all.length) {
      throw new CliException(USAGE, a + " needs a value, e.g. " + a + " " + example);
    }
    return all[i + 1];
  }

  private static void expect(List<String> args, int min, int max, String usage)
      throws CliException {
    if (args.size() < min || args.size() > max) {
      throw new CliException(USAGE, "usage: java -jar fourtuple-agent.jar " + usage);
    }
  }

  // ---- commands ----

  private int list(boolean json) throws CliException {
    List<TargetJvm> jvms = TargetJvm.all();
    JsonWriter j = new JsonWriter().beginArray();
    if (!json) {
      out.print("PID      UID    JDK        FOURTUPLE    MAIN\n");
    }
    for (TargetJvm t : jvms) {
      String state = "-";
      try {
        state = stateOf(t, "inactive");
      } catch (CliException e) {
        state = "unknown";
      }
      if (json) {
        j.beginObject()
            .field("pid", t.pid)
            .field("uid", t.uid)
            .field("jdk", t.javaVersion)
            .field("javaHome", t.javaHome)
            .field("fourtuple", state)
            .field("main", t.mainClass())
            .endObject();
      } else {
        out.printf("%-8s %-6s %-10s %-12s %s%n", t.pid, t.uid, t.javaVersion, state, t.mainClass());
      }
    }
    if (json) {
      out.println(j.endArray());
    }
    return OK;
  }

  private int attach(TargetJvm target, String configArgs) throws CliException {
    validate(configArgs);
    int code = send(target, "attach", configArgs, false);
    if (code == OK) {
      noteDynamicLoading(target);
    }
    return code;
  }

  private int audit(TargetJvm target, long millis, String configArgs, boolean json)
      throws CliException {
    validateAudit(configArgs);
    String state = stateOf(target, "-");
    if (state.equals("enforce") || state.equals("audit")) {
      throw new CliException(
          FAILED,
          "fourtuple is attached to %s already (mode=%s); read it with 'status %s', or detach it"
              + " first for a clean audit",
          target.pid,
          state,
          target.pid);
    }
    progressToStderr = true;
    return new HostAudit(this, out, err).auditOne(target, millis, configArgs, json);
  }

  /** Audit's arguments: valid configuration, and no mode (audit sets it). */
  private static void validateAudit(String configArgs) throws CliException {
    validate(configArgs);
    if (ConfigParser.sets(configArgs, Setting.MODE)) {
      throw new CliException(
          USAGE, "audit sets mode=audit itself; leave mode= out of its arguments");
    }
  }

  // ---- the channel to the agent ----

  /**
   * Loads the agent into {@code target} with {@code command=<command>} and prints its answer: the
   * body to standard output for status and report, to standard error otherwise (so {@code status
   * --json} output stays clean when chained).
   */
  int send(TargetJvm vetted, String command, String configArgs, boolean json) throws CliException {
    Reply reply = exchange(vetted, command, configArgs, json);
    if (reply.code == NOT_ATTACHED && reply.unsent) {
      err.println(reply.body);
      return NOT_ATTACHED;
    }
    String body = reply.body;
    boolean report = command.equals("status") || command.equals("report");
    if (reply.code == OK && report) {
      out.print(body.endsWith("\n") ? body : body + "\n");
    } else {
      (reply.code == OK && !progressToStderr ? out : err)
          .println((body.startsWith("fourtuple") ? "" : "fourtuple: ") + body.trim());
    }
    return reply.code;
  }

  /** An agent's answer: its exit code and its body, made printable. */
  static final class Reply {
    final int code;
    final String body;

    /** Nothing was sent: the JVM holds no fourtuple jar, so there is no agent to ask. */
    final boolean unsent;

    Reply(int code, String body, boolean unsent) {
      this.code = code;
      this.body = body;
      this.unsent = unsent;
    }
  }

  /**
   * Loads the agent into {@code target} with {@code command=<command>} and returns its answer.
   *
   * <p>The target is inspected again first: which fourtuple jar it holds open decides which path it
   * is handed (see {@link TargetFiles}). A JVM that holds none has no agent to ask, so status,
   * report and detach answer without loading anything into it.
   */
  Reply exchange(TargetJvm vetted, String command, String configArgs, boolean json)
      throws CliException {
    TargetJvm target = TargetJvm.inspect(vetted.pid, true);
    String refusal = target.attachRefusal();
    if (refusal != null) {
      throw new CliException(CANNOT_ATTACH, refusal);
    }
    if (!command.equals("attach") && !target.carriesFourtuple) {
      return new Reply(
          NOT_ATTACHED,
          String.format(
              "fourtuple is not attached to this JVM (process %s has no fourtuple agent jar open);"
                  + " nothing was sent to it",
              target.pid),
          true);
    }
    refusal = target.dynamicLoadingRefusal();
    if (refusal != null) {
      throw new CliException(CANNOT_ATTACH, refusal);
    }
    AttachApi api = api();
    TargetFiles.LocalJar local = localJar();
    boolean removeHeldCopy = false;
    boolean handedOver = false;
    try (TargetFiles files = TargetFiles.open(target)) {
      try {
        long prepareStart = System.nanoTime();
        String jar = files.prepare(local);
        long prepared = System.nanoTime();
        StringBuilder agentArgs = new StringBuilder();
        agentArgs.append(ControlRequest.COMMAND).append('=').append(command);
        agentArgs.append(',').append(ControlRequest.REPLY).append('=').append(files.replyPath());
        if (json) {
          agentArgs.append(',').append(ControlRequest.FORMAT).append("=json");
        }
        if (configArgs != null && !configArgs.trim().isEmpty()) {
          agentArgs.append(',').append(configArgs.trim());
        }
        long t0 = System.nanoTime();
        long t1;
        try (AttachApi.Session session = api.attach(target, files)) {
          t1 = System.nanoTime();
          handedOver = true;
          session.loadAgent(jar, agentArgs.toString());
        }
        long t2 = System.nanoTime();
        if (timing) {
          err.printf(
              Locale.ROOT,
              "timing: %s attach=%.1fms load=%.1fms total=%.1fms files=%.1fms%n",
              command,
              (t1 - t0) / 1e6,
              (t2 - t1) / 1e6,
              (t2 - t0) / 1e6,
              (prepared - prepareStart) / 1e6);
        }
        String text = files.readReply();
        if (text == null) {
          throw new CliException(
              FAILED,
              "the agent in %s gave no answer (an older fourtuple, or it failed to start: see the"
                  + " target's standard error)",
              target.pid);
        }
        int newline = text.indexOf('\n');
        String head = newline < 0 ? text : text.substring(0, newline);
        String body = printable(newline < 0 ? "" : text.substring(newline + 1));
        int code = FAILED;
        if (head.matches("exit=[0-9]")) {
          code = Integer.parseInt(head.substring(5));
        }
        removeHeldCopy = command.equals("detach") && (code == OK || code == NOT_ATTACHED);
        return new Reply(code, body, false);
      } finally {
        note(files.finish(handedOver));
        if (removeHeldCopy) {
          note(files.removeHeldCopy());
        }
      }
    }
  }

  private void note(String line) {
    if (line != null) {
      err.println("fourtuple: " + line);
    }
  }

  /**
   * The answer as it may reach a terminal: control characters other than newline and tab become
   * {@code ?} (the answer comes from a process this command does not trust).
   */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c < 0xa0);
      out.append(control ? '?' : c);
    }
    return out.toString();
  }

  private TargetFiles.LocalJar localJar() throws CliException {
    if (localJar == null) {
      localJar = TargetFiles.LocalJar.of(agentJar());
    }
    return localJar;
  }

  /** The jar this command runs from: the same jar is what gets loaded into the target. */
  static String agentJar() throws CliException {
    try {
      File jar = new File(Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!jar.isFile()) {
        throw new CliException(
            USAGE,
            "run the command from the agent jar (java -jar fourtuple-agent.jar), not from " + jar);
      }
      return jar.getAbsolutePath();
    } catch (URISyntaxException | RuntimeException e) {
      throw new CliException(FAILED, "cannot locate the agent jar: " + e);
    }
  }

  // ---- arguments ----

  /** Checks configuration arguments here, so a typo never reaches (or touches) the target. */
  static void validate(String configArgs) throws CliException {
    if (configArgs == null) {
      return;
    }
    for (AgentArgs.Pair pair : AgentArgs.split(configArgs)) {
      String key = pair.key.isEmpty() ? pair.text : pair.key;
      if (key.equals(ControlRequest.COMMAND)
          || key.equals(ControlRequest.REPLY)
          || key.equals(ControlRequest.FORMAT)) {
        throw new CliException(
            USAGE, "'%s=' is set by the command line itself; leave it out of the arguments", key);
      }
    }
    try {
      ConfigParser.parse(
          configArgs,
          Collections.<String, String>emptyMap(),
          Collections.<String, String>emptyMap());
    } catch (ConfigException e) {
      throw new CliException(
          USAGE, "invalid arguments: " + e.getMessage() + "; nothing was attached");
    }
  }

  /** A pid, or a unique substring of a JVM's main class (or jar). */
  private static TargetJvm resolve(String pidOrName) throws CliException {
    if (pidOrName.matches("-?[0-9]+")) {
      return TargetJvm.inspect(TargetJvm.parsePid(pidOrName));
    }
    if (pidOrName.trim().isEmpty() || pidOrName.startsWith("-")) {
      throw new CliException(USAGE, "'" + pidOrName + "' is neither a pid nor a main class name");
    }
    List<TargetJvm> matches = new ArrayList<TargetJvm>();
    for (TargetJvm t : TargetJvm.all()) {
      if (t.mainClass().contains(pidOrName)) {
        matches.add(t);
      }
    }
    if (matches.size() == 1) {
      return matches.get(0);
    }
    if (matches.isEmpty()) {
      throw new CliException(
          CANNOT_ATTACH,
          "no JVM of this user has a main class matching '" + pidOrName + "' (try: list)");
    }
    StringBuilder which = new StringBuilder();
    for (TargetJvm t : matches) {
      which.append(which.length() == 0 ? "" : ", ").append(t.pid).append(" ").append(t.mainClass());
    }
    throw new CliException(
        USAGE, "'%s' matches %s JVMs (%s); give the pid", pidOrName, matches.size(), which);
  }

  /**
   * The agent's state property in {@code target}, or {@code absent} when it has none. Only a JVM
   * that already holds the fourtuple jar is asked; others get no attach at all ({@code -}).
   */
  String stateOf(TargetJvm target, String absent) throws CliException {
    if (!target.carriesFourtuple) {
      return "-";
    }
    try (TargetFiles files = TargetFiles.open(target);
        AttachApi.Session s = api().attach(target, files)) {
      return s.systemProperties().getProperty(STATE_PROPERTY, absent);
    }
  }

  /** The attach API, loaded once per run. */
  private AttachApi api() throws CliException {
    if (attachApi == null) {
      attachApi = AttachApi.load();
    }
    return attachApi;
  }

  /** {@code 30s}, {@code 2m}, {@code 500ms}, {@code 1.5h}; a bare number is seconds. */
  static long durationMillis(String text) throws CliException {
    try {
      long millis = Durations.millis(text);
      if (millis > 0 && millis <= 24 * 3_600_000L) {
        return millis;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new CliException(
        USAGE, "--duration '" + text + "' is not a duration between 1ms and 24h (e.g. 30s, 5m)");
  }

  static String formatMillis(long millis) {
    return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
  }

  /** JEP 451: say why the target printed a warning, once per command. */
  void noteDynamicLoading(TargetJvm target) {
    if (target.feature() >= 21 && !target.acknowledgesDynamicAgents()) {
      err.println(
          "fourtuple: note: JDK "
              + target.feature()
              + " printed 'WARNING: A Java agent has been loaded dynamically' on the target's"
              + " standard error (JEP 451); that is expected. Start the service with"
              + " -XX:+EnableDynamicAgentLoading to allow it without the warning (a future JDK will"
              + " refuse dynamic loading unless that flag is set), or load fourtuple with"
              + " -javaagent.");
    }
  }
}
