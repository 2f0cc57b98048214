package io.fourtuple.agent.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SettingTest {

  @Test
  void findAcceptsEverySpelling() {
    for (Setting s : Setting.values()) {
      assertEquals(s, Setting.find(s.shortName()));
      assertEquals(s, Setting.find(s.propertyName()));
      assertEquals(s, Setting.find(s.envName()));
    }
    assertNull(Setting.find("Mode"));
    assertNull(Setting.find("fourtuple."));
    assertNull(Setting.find(""));
  }

  @Test
  void namesAreUnique() {
    Set<String> seen = new HashSet<>();
    for (Setting s : Setting.values()) {
      assertTrue(seen.add(s.shortName()));
      assertTrue(seen.add(s.propertyName()));
      assertTrue(seen.add(s.envName()));
      assertTrue(s.propertyName().startsWith(Setting.PROPERTY_PREFIX));
      assertTrue(s.envName().startsWith(Setting.ENV_PREFIX));
      assertFalse(s.description().isEmpty());
    }
  }

  @Test
  void everyDefaultIsAValidValue() {
    for (Setting s : Setting.values()) {
      assertEquals(s.defaultValue(), s.normalize(s.defaultValue()), s.name());
    }
  }

  @Test
  void closestGivesNearMissesOnly() {
    assertEquals(Setting.MODE, Setting.closest("moed"));
    assertEquals(Setting.MODE, Setting.closest("fourtuple.mdoe"));
    assertEquals(Setting.MODE, Setting.closest("FOURTUPLE_MOED"));
    assertEquals(Setting.NOPORT_ENABLED, Setting.closest("FOURTUPLE_NOPORT_ENABLE"));
    assertEquals(Setting.STRICT, Setting.closest("strikt"));
    assertNull(Setting.closest("colour"));
    assertNull(Setting.closest("completely.unrelated.key"));
  }

  @Test
  void acceptedValuesAreDescribed() {
    assertEquals("one of enforce, audit", Setting.MODE.acceptedValues());
    assertEquals("one of true, false", Setting.STRICT.acceptedValues());
    assertEquals("one of error, warn, info, debug", Setting.LOG_LEVEL.acceptedValues());
    assertEquals("non-empty text", Setting.LOG_FILE.acceptedValues());
  }

  /**
   * {@code docs/configuration.md} has one table row per setting, naming its property, environment
   * variable and default, e.g. {@code | `fourtuple.mode` | `FOURTUPLE_MODE` | `mode=` | `enforce` |
   * ...}.
   */
  @Test
  void docsTableHasARowForEverySetting() throws IOException {
    Path doc = moduleDir().resolve("../docs/configuration.md").normalize();
    assertTrue(Files.isRegularFile(doc), doc + " does not exist");
    List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
    List<String> missing = new ArrayList<>();
    for (Setting s : Setting.values()) {
      boolean found = false;
      for (String line : lines) {
        if (line.trim().startsWith("|")
            && line.contains(s.propertyName())
            && line.contains(s.envName())
            && line.contains(s.defaultValue())) {
          found = true;
          break;
        }
      }
      if (!found) {
        missing.add(s.propertyName() + " / " + s.envName() + " / default " + s.defaultValue());
      }
    }
    assertTrue(missing.isEmpty(), doc + " has no table row for: " + missing);
  }

  private static Path moduleDir() {
    String basedir = System.getProperty("basedir");
    return Path.of(basedir != null ? basedir : "").toAbsolutePath();
  }
}
