package io.fourtuple.benchmarks;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one child JVM to completion and measures its wall time from {@code ProcessBuilder.start()}
 * to exit.
 *
 * <p>Output goes to files, not pipes: the harness does nothing while the child runs (no reader
 * threads competing for the two cores), and the child never blocks on a full pipe.
 */
final class ChildJvm {
  private static final Pattern RESULT = Pattern.compile("^RESULT (.*)$", Pattern.MULTILINE);

  private final File scratch;

  ChildJvm(File scratch) {
    this.scratch = scratch;
  }

  /** The outcome of one child run. */
  static final class Run {
    final List<String> command;
    final long startEpochMillis; // the wall clock just before the child was started
    final long wallNanos;
    final int exitCode;
    final String stdout;
    final String stderr;

    Run(
        List<String> command,
        long startEpochMillis,
        long wallNanos,
        int exitCode,
        String stdout,
        String stderr) {
      this.command = command;
      this.startEpochMillis = startEpochMillis;
      this.wallNanos = wallNanos;
      this.exitCode = exitCode;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    double wallMillis() {
      return wallNanos / 1e6;
    }

    /** {@code key} from the {@code RESULT key=value ...} line, or a failure naming the run. */
    String result(String key) {
      Matcher m = RESULT.matcher(stdout);
      String last = null;
      while (m.find()) {
        last = m.group(1);
      }
      if (last != null) {
        for (String pair : last.split(" ")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).equals(key)) {
            return pair.substring(eq + 1);
          }
        }
      }
      throw new BenchmarkFailure("no " + key + "= in the RESULT line of\n" + describe());
    }

    long resultLong(String key) {
      return Long.parseLong(result(key));
    }

    /** The agent's own startup time, from its "... (took N ms)" line; -1 if absent. */
    long agentReportedMillis() {
      Matcher m = Pattern.compile("\\(took (\\d+) ms\\)").matcher(stderr);
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Agent log lines at WARN or ERROR: a benchmark run should produce none. */
    List<String> agentWarnings() {
      List<String> out = new ArrayList<String>();
      for (String line : stderr.split("\n")) {
        if (line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("Exception")) {
          out.add(line);
        }
      }
      return out;
    }

    String describe() {
      return "  command: "
          + String.join(" ", command)
          + "\n  exit code: "
          + exitCode
          + "\n  stdout:\n"
          + indent(stdout)
          + "  stderr:\n"
          + indent(stderr);
    }

    private static String indent(String s) {
      StringBuilder b = new StringBuilder();
      for (String line : s.split("\n")) {
        b.append("    ").append(line).append('\n');
      }
      return b.toString();
    }
  }

  /**
   * Removes what would change a child's configuration behind the harness's back: fourtuple's own
   * environment variables, and the JVM's option variables (which can add agents or flags to every
   * JVM started).
   */
  static ProcessBuilder isolated(ProcessBuilder pb) {
    Iterator<String> names = pb.environment().keySet().iterator();
    while (names.hasNext()) {
      String name = names.next();
      if (name.startsWith("FOURTUPLE_")
          || name.equals("JAVA_TOOL_OPTIONS")
          || name.equals("JDK_JAVA_OPTIONS")
          || name.equals("_JAVA_OPTIONS")) {
        names.remove();
      }
    }
    return pb;
  }

  Run run(List<String> command) {
    File out = new File(scratch, "child.out");
    File err = new File(scratch, "child.err");
    ProcessBuilder pb =
        isolated(new ProcessBuilder(command))
            .redirectOutput(out)
            .redirectError(err)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      long startEpoch = System.currentTimeMillis();
      long start = System.nanoTime();
      Process p = pb.start();
      int exit = p.waitFor();
      long wall = System.nanoTime() - start;
      Run run =
          new Run(
              Collections.unmodifiableList(new ArrayList<String>(command)),
              startEpoch,
              wall,
              exit,
              read(out),
              read(err));
      if (exit != 0) {
        throw new BenchmarkFailure("child JVM failed\n" + run.describe());
      }
      return run;
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot start " + command + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchmarkFailure("interrupted");
    }
  }

  private static String read(File f) throws IOException {
    return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
  }
}
