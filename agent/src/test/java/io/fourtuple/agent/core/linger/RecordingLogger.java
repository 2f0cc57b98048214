package io.fourtuple.agent.core.linger;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** Keeps every line at INFO and above as {@code LEVEL message}, for assertions on log levels. */
final class RecordingLogger extends LegacyAbstractLogger {
  private final List<String> lines = new ArrayList<>();

  RecordingLogger() {
    this.name = "recording";
  }

  /** The messages logged at {@code level}, in order. */
  List<String> at(Level level) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith(level.name() + " ")) {
        out.add(line.substring(level.name().length() + 1));
      }
    }
    return out;
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
    lines.add(level.name() + " " + MessageFormatter.basicArrayFormat(pattern, arguments));
  }

  @Override
  public boolean isTraceEnabled() {
    return false;
  }

  @Override
  public boolean isDebugEnabled() {
    return false;
  }

  @Override
  public boolean isInfoEnabled() {
    return true;
  }

  @Override
  public boolean isWarnEnabled() {
    return true;
  }

  @Override
  public boolean isErrorEnabled() {
    return true;
  }
}
