package io.fourtuple.agent.core.config;

import java.util.Locale;

/**
 * The one duration grammar: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code off}. The
 * settings accept whole numbers with a unit (their {@link Setting} kind checks that first); the
 * command line's {@code --duration} also takes fractions and a bare number of seconds.
 */
public final class Durations {
  private Durations() {}

  /**
   * Milliseconds of {@code value}, rounded; 0 for {@code off}.
   *
   * @throws NumberFormatException when it is no duration
   */
  public static long millis(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("off")) {
      return 0;
    }
    char last = v.isEmpty() ? ' ' : v.charAt(v.length() - 1);
    boolean ms = v.endsWith("ms");
    long unit = ms ? 1 : last == 'm' ? 60_000 : last == 'h' ? 3_600_000 : 1000;
    int suffix = ms ? 2 : "smh".indexOf(last) >= 0 ? 1 : 0;
    String number = v.substring(0, v.length() - suffix);
    try {
      // Whole numbers (every setting) without Double.parseDouble: its FloatingDecimal classes are
      // 8 of the classes the agent would load on the way to main.
      return Math.multiplyExact(Long.parseLong(number), unit);
    } catch (NumberFormatException | ArithmeticException notWhole) {
      return Math.round(Double.parseDouble(number) * unit);
    }
  }
}
