package io.fourtuple.agent.core.config;

import java.util.Locale;

/** Duration settings' text ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code off}). */
public final class Durations {
  private Durations() {}

  /** Milliseconds of a validated duration; 0 for {@code off}. */
  public static long millis(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("off")) {
      return 0;
    }
    if (v.endsWith("ms")) {
      return Long.parseLong(v.substring(0, v.length() - 2));
    }
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    switch (v.charAt(v.length() - 1)) {
      case 's':
        return n * 1000L;
      case 'm':
        return n * 60_000L;
      case 'h':
        return n * 3_600_000L;
      default:
        throw new IllegalArgumentException("not a duration: " + value);
    }
  }
}
