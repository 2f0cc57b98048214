package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UtcTimeTest {
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static String expected(long epochMillis) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(epochMillis));
  }

  private static long millis(
      int year, int month, int day, int hour, int minute, int second, int ms) {
    return LocalDateTime.of(year, month, day, hour, minute, second, ms * 1_000_000)
        .toInstant(ZoneOffset.UTC)
        .toEpochMilli();
  }

  private static void check(long epochMillis) {
    assertEquals(expected(epochMillis), UtcTime.millis(epochMillis), "epoch ms " + epochMillis);
  }

  @Test
  void epoch() {
    assertEquals("1970-01-01T00:00:00.000Z", UtcTime.millis(0));
    assertEquals("1970-01-01T00:00:00.001Z", UtcTime.millis(1));
    assertEquals("1970-01-01T00:00:01.000Z", UtcTime.millis(1000));
    assertEquals("1969-12-31T23:59:59.999Z", UtcTime.millis(-1));
  }

  @Test
  void secondsOnlyForTheStatusLines() {
    assertEquals("2026-11-21T08:31:00Z", UtcTime.seconds(millis(2026, 11, 21, 8, 31, 0, 999)));
    assertEquals("1969-12-31T23:59:59Z", UtcTime.seconds(-1));
  }

  @Test
  void alwaysThreeMillisecondDigits() {
    assertEquals("2026-11-21T08:31:00.123Z", UtcTime.millis(millis(2026, 11, 21, 8, 31, 0, 123)));
    assertEquals("2026-11-21T08:31:00.050Z", UtcTime.millis(millis(2026, 11, 21, 8, 31, 0, 50)));
    assertEquals("2026-11-21T08:31:00.007Z", UtcTime.millis(millis(2026, 11, 21, 8, 31, 0, 7)));
    assertEquals("2026-11-21T08:31:00.000Z", UtcTime.millis(millis(2026, 11, 21, 8, 31, 0, 0)));
  }

  @Test
  void leapDays() {
    assertEquals("2024-02-29T12:00:00.000Z", UtcTime.millis(millis(2024, 2, 29, 12, 0, 0, 0)));
    assertEquals("2000-02-29T23:59:59.999Z", UtcTime.millis(millis(2000, 2, 29, 23, 59, 59, 999)));
    for (int year : new int[] {1972, 1996, 2000, 2004, 2024, 2028, 2400}) {
      check(millis(year, 2, 28, 23, 59, 59, 999));
      check(millis(year, 2, 29, 0, 0, 0, 0));
      check(millis(year, 3, 1, 0, 0, 0, 0));
    }
    // Not leap years: the day after 28 February is 1 March.
    for (int year : new int[] {1900, 2023, 2100, 2200}) {
      long lastOfFebruary = millis(year, 2, 28, 23, 59, 59, 999);
      check(lastOfFebruary);
      assertEquals(year + "-03-01T00:00:00.000Z", UtcTime.millis(lastOfFebruary + 1));
    }
  }

  @Test
  void year2000() {
    assertEquals("2000-01-01T00:00:00.000Z", UtcTime.millis(946_684_800_000L));
    assertEquals("1999-12-31T23:59:59.999Z", UtcTime.millis(946_684_799_999L));
  }

  @Test
  void endOfYearAndMonths() {
    for (int year = 1970; year <= 2100; year++) {
      check(millis(year, 12, 31, 23, 59, 59, 999));
      check(millis(year, 1, 1, 0, 0, 0, 0));
    }
    for (int month = 1; month <= 12; month++) {
      long first = millis(2025, month, 1, 0, 0, 0, 0);
      check(first);
      check(first - 1);
    }
  }

  @Test
  void everyDayFor1970To2100() {
    long day = 86_400_000L;
    long end = millis(2101, 1, 1, 0, 0, 0, 0);
    for (long t = 0; t < end; t += day) {
      check(t);
      check(t + day - 1);
    }
  }

  @Test
  void randomValues() {
    SplittableRandom random = new SplittableRandom(20261121L);
    long min = millis(1000, 1, 1, 0, 0, 0, 0);
    long max = millis(9999, 12, 31, 23, 59, 59, 999);
    for (int i = 0; i < 200_000; i++) {
      check(random.nextLong(min, max + 1));
    }
    long now = System.currentTimeMillis();
    for (int i = 0; i < 10_000; i++) {
      check(now + random.nextLong(-86_400_000L * 366, 86_400_000L * 366));
    }
  }
}
