package io.fourtuple.agent.core.report;

/**
 * The agent's one time formatter: ISO-8601 UTC, computed by hand. {@code SimpleDateFormat} and
 * {@code java.time} load locale and zone data, tens of milliseconds of JVM start for the agent's
 * first log line.
 */
public final class UtcTime {
  private UtcTime() {}

  /** {@code 2026-11-21T08:31:00.123Z}: log lines and the ledger report. */
  public static String millis(long epochMillis) {
    return format(epochMillis, true);
  }

  /** {@code 2026-11-21T08:31:00Z}: status lines. */
  public static String seconds(long epochMillis) {
    return format(epochMillis, false);
  }

  private static String format(long epochMillis, boolean withMillis) {
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
    pad(out, millisOfDay / 1000 % 60, 2);
    if (withMillis) {
      pad(out.append('.'), millisOfDay % 1000, 3);
    }
    return out.append('Z').toString();
  }

  private static StringBuilder pad(StringBuilder out, long value, int width) {
    String digits = Long.toString(value);
    for (int i = digits.length(); i < width; i++) {
      out.append('0');
    }
    return out.append(digits);
  }
}
