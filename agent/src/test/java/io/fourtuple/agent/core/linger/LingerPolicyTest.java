package io.fourtuple.agent.core.linger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LingerPolicyTest {

  @Test
  void parsesTheThreeForms() {
    assertSame(LingerPolicy.WARN, LingerPolicy.parse("warn"));
    assertSame(LingerPolicy.FIX, LingerPolicy.parse(" FIX "));
    assertEquals("clamp:5", LingerPolicy.parse("clamp:5").toString());
    assertEquals(5, LingerPolicy.parse("Clamp: 5").max());
    assertEquals("clamp:65535", LingerPolicy.parse("clamp:65535").toString());
    for (String bad :
        new String[] {
          "",
          "off",
          "clamp",
          "clamp:",
          "clamp:0",
          "clamp:-1",
          "clamp:65536",
          "clamp:x",
          "fix:1",
          null
        }) {
      assertNull(LingerPolicy.parse(bad), String.valueOf(bad));
    }
  }

  @Test
  void warnChangesNothing() {
    for (LingerClass c : LingerClass.values()) {
      assertEquals(1000, LingerPolicy.WARN.apply(c, 1000));
    }
  }

  @Test
  void fixLeavesMisuseOffAndNothingElse() {
    assertEquals(LingerPolicy.OFF, LingerPolicy.FIX.apply(LingerClass.MILLIS_LIKE, 1000));
    assertEquals(LingerPolicy.OFF, LingerPolicy.FIX.apply(LingerClass.CLAMPED_BY_JDK, 100000));
    assertEquals(LingerPolicy.OFF, LingerPolicy.FIX.apply(LingerClass.LONG, 30));
    assertEquals(LingerPolicy.OFF, LingerPolicy.FIX.apply(LingerClass.NON_BLOCKING, 1));
    assertEquals(2, LingerPolicy.FIX.apply(LingerClass.SHORT_BLOCKING, 2));
    assertEquals(0, LingerPolicy.FIX.apply(LingerClass.ZERO, 0));
  }

  @Test
  void clampCapsPositiveValuesAndNeverMakesZero() {
    LingerPolicy clamp = LingerPolicy.clamp(5);
    assertEquals(5, clamp.apply(LingerClass.MILLIS_LIKE, 1000));
    assertEquals(5, clamp.apply(LingerClass.CLAMPED_BY_JDK, 70000));
    assertEquals(3, clamp.apply(LingerClass.SHORT_BLOCKING, 3));
    assertEquals(0, clamp.apply(LingerClass.ZERO, 0));
    assertEquals(-1, clamp.apply(LingerClass.OFF, -1));
    for (LingerClass c : LingerClass.values()) {
      for (int seconds : new int[] {1, 9, 10, 100, 1000, 65535, 65536}) {
        assertNotEquals(0, LingerPolicy.clamp(1).apply(c, seconds));
        assertNotEquals(0, LingerPolicy.FIX.apply(c, seconds));
      }
    }
  }
}
