package io.fourtuple.agent.logging;

import io.fourtuple.agent.core.report.OutputFiles;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The agent's private slf4j binding. The agent codes against slf4j-api (relocated inside the agent
 * jar) and gets its loggers here, never through {@code LoggerFactory}: no service lookup, no
 * classpath scan, no {@code slf4j.provider} property read, so nothing of the application's logging
 * is touched or loaded.
 *
 * <p>Output goes to the process's real standard error (file descriptor 2, not {@code System.err},
 * which the application may have redirected) or to a file, one line per event.
 */
public final class AgentLoggers {
  private static volatile Sink sink = new Sink(Level.INFO, streamFor(FileDescriptor.err));

  private AgentLoggers() {}

  /** A logger named after {@code type}'s simple name. */
  public static Logger get(Class<?> type) {
    return new AgentLogger(type.getSimpleName());
  }

  /**
   * Points every logger at a new threshold and destination.
   *
   * @param level error, warn, info or debug
   * @param destination {@code stderr} or a file path, appended to (see {@link OutputFiles#append}
   *     for the files it refuses)
   * @throws IOException if the file cannot be opened; the previous destination stays in force
   */
  public static void configure(String level, String destination) throws IOException {
    Level threshold = Level.valueOf(level.toUpperCase(Locale.ROOT));
    PrintStream out =
        "stderr".equals(destination)
            ? streamFor(FileDescriptor.err)
            : new PrintStream(OutputFiles.append(Paths.get(destination)), true, "UTF-8");
    sink = new Sink(threshold, out);
  }

  static Sink sink() {
    return sink;
  }

  private static PrintStream streamFor(FileDescriptor fd) {
    OutputStream raw = new FileOutputStream(fd);
    try {
      // By name, as for the log file: StandardCharsets.UTF_8 would initialize StandardCharsets,
      // which loads five more charset classes (eight on JDK 25) on the way to main.
      return new PrintStream(raw, true, "UTF-8");
    } catch (java.io.UnsupportedEncodingException impossible) {
      return new PrintStream(raw, true);
    }
  }

  /** Where lines go and which levels pass. Immutable; replaced whole by {@link #configure}. */
  static final class Sink {
    final Level threshold;
    final PrintStream out;

    Sink(Level threshold, PrintStream out) {
      this.threshold = threshold;
      this.out = out;
    }

    boolean enabled(Level level) {
      return level.toInt() >= threshold.toInt();
    }
  }
}
