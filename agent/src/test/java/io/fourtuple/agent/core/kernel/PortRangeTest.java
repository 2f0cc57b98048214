package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PortRangeTest {
  @Test
  void defaultRange() {
    PortRange r = PortRange.parse("32768\t60999", "");
    assertEquals(28232, r.size());
    assertEquals(28232, r.usable());
    assertEquals(14116, r.usableConnectParity());
    assertEquals("even", r.connectParityName());
    assertEquals("odd", r.bindParityName());
    assertTrue(r.isConnectParity(32768));
    assertFalse(r.isConnectParity(32769));
  }

  @Test
  void reservedPortsInsideTheRangeLeaveThePool() {
    PortRange r = PortRange.parse("60000 60009", "80,60002,60004-60005,61000");
    assertEquals(10, r.size());
    assertEquals(3, r.reservedInRange());
    assertEquals(7, r.usable());
    // connect parity: 60000, 60002, 60004, 60006, 60008; 60002 and 60004 are reserved
    assertEquals(3, r.usableConnectParity());
  }

  @Test
  void oddLowEndFlipsTheParity() {
    PortRange r = PortRange.parse("1025 1030", "");
    assertEquals("odd", r.connectParityName());
    assertTrue(r.isConnectParity(1025));
    assertEquals(3, r.usableConnectParity());
  }

  @Test
  void badTextIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> PortRange.parse("60000", ""));
    assertThrows(IllegalArgumentException.class, () -> PortRange.parse("60009 60000", ""));
    assertThrows(IllegalArgumentException.class, () -> PortRange.parse("1 2", "5-3"));
  }

  @Test
  void readsThisNamespace() {
    PortRange r = PortRange.current();
    assertTrue(r != null && r.size() > 0);
  }
}
