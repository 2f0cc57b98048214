package io.fourtuple.agent;

import java.io.PrintStream;

/**
 * {@code java -jar fourtuple-agent.jar <command>}: the command line shipped in the agent jar.
 *
 * <p>Exit codes: 0 success, 2 bad usage.
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
        out.println("fourtuple " + AgentStarter.version());
        return 0;
      case "doctor":
        return Doctor.run(out);
      case "help":
      case "--help":
      case "-h":
        usage(out);
        return 0;
      default:
        err.println("fourtuple: unknown command '" + command + "' (try: help)");
        return 2;
    }
  }

  private static void usage(PrintStream out) {
    out.println("fourtuple " + AgentStarter.version() + " - outbound socket setup, fixed in place");
    out.println();
    out.println("As an agent:  java -javaagent:fourtuple-agent.jar[=key=value,...] ...");
    out.println("              keys: see docs/configuration.md (mode=audit, log.level=debug, ...)");
    out.println();
    out.println("Commands:");
    out.println("  doctor      this host's source-port limits: kernel, options, range, parity,");
    out.println("              reserved ports, top destinations, and what they mean");
    out.println("  version     print the version");
    out.println("  help        this text");
  }
}
