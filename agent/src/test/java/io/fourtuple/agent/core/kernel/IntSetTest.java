package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IntSetTest {
  @Test
  void growsAndKeepsEveryValueOnce() {
    IntSet set = new IntSet();
    for (long v = 0; v < 70_000; v += 7) {
      assertTrue(set.add(v));
    }
    assertFalse(set.add(0));
    assertFalse(set.add(69_993));
    assertEquals(10_000, set.size());
    assertTrue(set.contains(14));
    assertFalse(set.contains(15));
    // socket inodes above 2^31
    assertTrue(set.add(4_294_967_295L));
    assertTrue(set.contains(4_294_967_295L));
  }

  @Test
  void ownSocketsNeverHoldInodeZero() {
    OwnSockets own = OwnSockets.of(0, 38412899L);
    assertFalse(own.contains(0));
    assertTrue(own.contains(38412899L));
  }
}
