package io.fourtuple.agent.cli;

import java.util.Locale;

/** A one-line, user-facing failure of a command, with the exit code it maps to. */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** The message is {@code format} with {@code args} ({@code %s} only, so no locale applies). */
  CliException(int exitCode, String format, Object... args) {
    this(exitCode, String.format(Locale.ROOT, format, args));
  }

  int exitCode() {
    return exitCode;
  }
}
