package io.fourtuple.agent.logging;

import io.fourtuple.agent.core.report.UtcTime;
import java.io.PrintStream;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One line per event: {@code 2026-11-21T08:31:00.123Z fourtuple WARN [Name] message}. */
final class AgentLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  AgentLogger(String name) {
    this.name = name;
  }

  @Override
  public boolean isTraceEnabled() {
    return AgentLoggers.sink().enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return AgentLoggers.sink().enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return AgentLoggers.sink().enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return AgentLoggers.sink().enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return AgentLoggers.sink().enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
    AgentLoggers.Sink sink = AgentLoggers.sink();
    if (!sink.enabled(level)) {
      return;
    }
    String message = MessageFormatter.basicArrayFormat(pattern, arguments);
    StringBuilder line = new StringBuilder(64 + message.length());
    line.append(UtcTime.millis(System.currentTimeMillis())).append(" fourtuple ");
    String levelName = level.name();
    line.append(levelName);
    for (int i = levelName.length(); i < 5; i++) {
      line.append(' ');
    }
    line.append(" [").append(name).append("] ").append(message);
    PrintStream out = sink.out;
    synchronized (out) {
      out.println(line);
      if (throwable != null) {
        throwable.printStackTrace(out);
      }
    }
  }
}
