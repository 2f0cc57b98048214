package io.fourtuple.agent.logging;

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
    line.append(timestamp(System.currentTimeMillis())).append(" fourtuple ");
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

  /**
   * ISO-8601 UTC with milliseconds, computed by hand: {@code SimpleDateFormat} and {@code
   * java.time} load locale and zone data, tens of milliseconds of JVM start for the agent's first
   * line.
   */
  static String timestamp(long epochMillis) {
    long days = Math.floorDiv(epochMillis, 86_400_000L);
    long millisOfDay = Math.floorMod(epochMillis, 86_400_000L);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long day = doy - (153 * mp + 2) / 5 + 1;
    long month = mp < 10 ? mp + 3 : mp - 9;
    long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    StringBuilder out = new StringBuilder(24);
    out.append(year).append('-');
    pad(out, month, 2).append('-');
    pad(out, day, 2).append('T');
    pad(out, millisOfDay / 3_600_000, 2).append(':');
    pad(out, millisOfDay / 60_000 % 60, 2).append(':');
    pad(out, millisOfDay / 1000 % 60, 2).append('.');
    pad(out, millisOfDay % 1000, 3).append('Z');
    return out.toString();
  }

  private static StringBuilder pad(StringBuilder out, long value, int width) {
    String digits = Long.toString(value);
    for (int i = digits.length(); i < width; i++) {
      out.append('0');
    }
    return out.append(digits);
  }
}
