package io.fourtuple.agent.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AgentArgsTest {
  @Test
  void pairsAreTrimmedEmptyOnesSkippedAndOrderKept() {
    List<AgentArgs.Pair> pairs = AgentArgs.split(" mode = audit ,, log.level=debug,bare, =x");
    assertEquals(4, pairs.size());
    assertEquals("mode", pairs.get(0).key);
    assertEquals(" audit", pairs.get(0).value);
    assertEquals("log.level", pairs.get(1).key);
    assertEquals("debug", pairs.get(1).value);
    assertEquals("", pairs.get(2).key);
    assertNull(pairs.get(2).value, "no '=': not a pair, left for the caller to report");
    assertNull(pairs.get(3).value, "an empty key is not a pair either");
    assertEquals("mode = audit,log.level=debug,bare,=x", AgentArgs.join(pairs));
  }

  @Test
  void nothingGivesNoPairs() {
    assertTrue(AgentArgs.split(null).isEmpty());
    assertTrue(AgentArgs.split(" , ").isEmpty());
    assertNull(AgentArgs.join(AgentArgs.split("")));
  }
}
