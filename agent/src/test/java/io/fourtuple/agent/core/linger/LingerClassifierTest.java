package io.fourtuple.agent.core.linger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LingerClassifierTest {
  private final LingerClassifier classifier = new LingerClassifier(10);

  /** The table in the class Javadoc and docs/linger.md, row by row. */
  @ParameterizedTest(name = "on={0} seconds={1} nonBlocking={2} -> {3}")
  @CsvSource({
    "false, 1000, false, OFF",
    "false, 0, true, OFF",
    "true, -1, false, OFF",
    "true, 0, false, ZERO",
    "true, 0, true, ZERO",
    "true, 1, false, SHORT_BLOCKING",
    "true, 9, false, SHORT_BLOCKING",
    "true, 1, true, NON_BLOCKING",
    "true, 9, true, NON_BLOCKING",
    "true, 10, false, LONG",
    "true, 10, true, LONG",
    "true, 30, false, LONG",
    "true, 120, false, LONG",
    "true, 100, false, MILLIS_LIKE",
    "true, 500, true, MILLIS_LIKE",
    "true, 999, false, LONG",
    "true, 1000, false, MILLIS_LIKE",
    "true, 1001, false, MILLIS_LIKE",
    "true, 30000, true, MILLIS_LIKE",
    "true, 65535, false, MILLIS_LIKE",
    "true, 65536, false, CLAMPED_BY_JDK",
    "true, 2147483647, false, CLAMPED_BY_JDK",
  })
  void classifiesByTheTable(boolean on, int seconds, boolean nonBlocking, LingerClass expected) {
    assertEquals(expected, classifier.classify(on, seconds, nonBlocking));
  }

  @Test
  void theLongThresholdIsConfigurable() {
    LingerClassifier strict = new LingerClassifier(2);
    assertEquals(LingerClass.SHORT_BLOCKING, strict.classify(true, 1, false));
    assertEquals(LingerClass.LONG, strict.classify(true, 2, false));
    assertEquals(LingerClass.SHORT_BLOCKING, new LingerClassifier(60).classify(true, 30, false));
    assertThrows(IllegalArgumentException.class, () -> new LingerClassifier(0));
  }

  @Test
  void onlyPositiveHarmfulValuesAreMisuseAndZeroIsReportedButNeverMisuse() {
    assertFalse(LingerClass.ZERO.misuse());
    assertTrue(LingerClass.ZERO.reported());
    assertFalse(LingerClass.OFF.reported());
    assertFalse(LingerClass.SHORT_BLOCKING.reported());
    for (LingerClass c :
        new LingerClass[] {
          LingerClass.NON_BLOCKING,
          LingerClass.LONG,
          LingerClass.MILLIS_LIKE,
          LingerClass.CLAMPED_BY_JDK
        }) {
      assertTrue(c.misuse(), c.name());
      assertTrue(c.reported(), c.name());
    }
  }

  @Test
  void durationsReadLikeAPerson() {
    assertEquals("16 min 40 s", LingerClassifier.duration(1000));
    assertEquals("18 h 12 min 15 s", LingerClassifier.duration(65535));
    assertEquals("8 h 20 min", LingerClassifier.duration(30000));
    assertEquals("10 s", LingerClassifier.duration(10));
    assertEquals("0 s", LingerClassifier.duration(0));
    assertEquals("1 h", LingerClassifier.duration(3600));
  }

  @Test
  void millisecondReadingSaysWhatWasProbablyMeant() {
    assertEquals("1 s", LingerClassifier.asMillis(1000));
    assertEquals("30 s", LingerClassifier.asMillis(30000));
    assertEquals("1.5 s", LingerClassifier.asMillis(1500));
    assertEquals("1.25 s", LingerClassifier.asMillis(1250));
    assertEquals("200 ms (SO_LINGER cannot wait less than 1 s)", LingerClassifier.asMillis(200));
  }
}
