package io.fourtuple.agent;

import io.fourtuple.agent.cli.Cli;
import io.fourtuple.agent.core.control.ControlRequest;
import java.io.PrintStream;

/**
 * {@code java -jar fourtuple-agent.jar <command>}: the command line shipped in the agent jar.
 *
 * <p>Exit codes: 0 success, 1 the command reached the JVM but failed there, 2 bad usage or
 * arguments, 3 fourtuple is not attached to that JVM, 4 cannot attach (no such process, not a JVM,
 * another user's JVM, attach disabled, no attach API in this Java). The attach commands live in
 * {@link Cli}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 ? "help" : args[0];
    switch (command) {
      case "version":
      case "--version":
        out.println("fourtuple " + AgentControl.version());
        return ControlRequest.OK;
      case "doctor":
        return Doctor.run(out);
      case "help":
      case "--help":
      case "-h":
        usage(out);
        return ControlRequest.OK;
      default:
        if (Cli.handles(command)) {
          return Cli.run(args, out, err);
        }
        err.println("fourtuple: unknown command '" + command + "' (try: help)");
        return ControlRequest.USAGE;
    }
  }

  private static void usage(PrintStream out) {
    out.println("fourtuple " + AgentControl.version() + " - outbound socket setup, fixed in place");
    out.println();
    out.println("As an agent:  java -javaagent:fourtuple-agent.jar[=key=value,...] ...");
    out.println("              keys: see docs/configuration.md (mode=audit, log.level=debug, ...)");
    out.println();
    out.println("Commands (for a running JVM of the same user; nothing in it listens on a port):");
    out.println("  list [--json]                      JVMs here: pid, uid, JDK, fourtuple, main");
    out.println("  attach <pid|main> [key=value,...]  load fourtuple into a running JVM");
    out.println("  status <pid> [--json]              agent, counters, call sites, sockets,");
    out.println("                                     port ledger, SO_LINGER findings");
    out.println("  audit <pid|main> [--duration 60s] [--json] [key=value,...]");
    out.println("                                     attach in audit mode, wait, report, detach");
    out.println("  audit --all [--duration 60s] [--include REGEX] [--exclude REGEX] [--json FILE]");
    out.println(
        "                                     the same over every selected JVM on the host,");
    out.println("                                     side by side; one report ranked by risk");
    out.println("  status --all [--json]              one line per JVM that runs fourtuple");
    out.println("  detach <pid>                       remove the hooks, restore the original code");
    out.println(
        "  doctor                             this host's source-port limits: kernel, options,");
    out.println(
        "                                     range, parity, reserved ports, top destinations");
    out.println("  version     print the version");
    out.println("  help        this text");
    out.println("  (--timing on attach/detach/status/audit prints how long each step took)");
    out.println();
    out.println("Exit codes: 0 done, 1 failed in the target, 2 bad usage, 3 not attached there,");
    out.println("            4 cannot attach (no such process, not a JVM, other user, disabled)");
  }
}
