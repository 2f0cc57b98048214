package io.fourtuple.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CliTest {
  @Test
  void durations() throws Exception {
    assertEquals(30_000, Cli.durationMillis("30s"));
    assertEquals(30_000, Cli.durationMillis("30"));
    assertEquals(120_000, Cli.durationMillis("2m"));
    assertEquals(500, Cli.durationMillis("500ms"));
    assertEquals(1_500, Cli.durationMillis("1.5s"));
    assertEquals(90_000, Cli.durationMillis(" 1.5M "));
    assertEquals(3_600_000, Cli.durationMillis("1h"));
    for (String bad : new String[] {"0s", "-3s", "soon", "25h", "NaN", "off", "ms", "", "0.4ms"}) {
      CliException e = assertThrows(CliException.class, () -> Cli.durationMillis(bad));
      assertEquals(Cli.USAGE, e.exitCode());
    }
  }

  @Test
  void pids() throws Exception {
    assertEquals(42, TargetJvm.parsePid("42"));
    for (String bad : new String[] {"0", "-1", "4x", "9999999999", ""}) {
      assertEquals(
          Cli.USAGE, assertThrows(CliException.class, () -> TargetJvm.parsePid(bad)).exitCode());
    }
  }

  @Test
  void aProcessThatIsNotAJvmIsRefusedFromProc() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "30").start();
    try {
      CliException e =
          assertThrows(CliException.class, () -> TargetJvm.inspect((int) sleeper.pid()));
      assertEquals(Cli.CANNOT_ATTACH, e.exitCode());
      assertTrue(e.getMessage().contains("(sleep) is not a Java virtual machine"), e.getMessage());
      assertTrue(sleeper.isAlive());
    } finally {
      sleeper.destroy();
    }
  }

  @Test
  void thisJvmIsSeenAsOne() throws Exception {
    TargetJvm self = TargetJvm.inspect((int) ProcessHandle.current().pid());
    assertEquals(Runtime.version().feature(), self.feature());
  }

  @Test
  void garbageArgumentsAreUsageErrors() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals(Cli.USAGE, Cli.run(new String[] {"attach"}, out, errStream));
    assertEquals(Cli.USAGE, Cli.run(new String[] {"status", "1", "2"}, out, errStream));
    assertEquals(Cli.USAGE, Cli.run(new String[] {"audit", "1", "--duration"}, out, errStream));
    assertEquals(Cli.CANNOT_ATTACH, Cli.run(new String[] {"detach", "999999999"}, out, errStream));
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("fourtuple: no such process: 999999999"), text);
  }

  @Test
  void allArgumentsAreCheckedBeforeAnyJvmIsTouched() {
    String[][] bad = {
      {"audit", "--all", "--include", "(unclosed"},
      {"audit", "--all", "--exclude=[x"},
      {"audit", "--all", "--duration", "forever"},
      {"audit", "--all", "--include"},
      {"audit", "--all", "--json"},
      {"audit", "--all", "mode=enforce"},
      {"audit", "--all", "moed=audit"},
      {"audit", "--all", "4711"},
      {"list", "--all"},
      {"audit", "4711", "--include", "x"},
      {"status", "--all", "4711"},
      {"audit", "--all", "--json", "/"},
    };
    String[] says = {
      "--include '(unclosed' is not a regular expression: Unclosed group",
      "--exclude '[x' is not a regular expression",
      "--duration 'forever' is not a duration",
      "--include needs a value",
      "--json needs a value",
      "audit sets mode=audit itself",
      "invalid arguments",
      "invalid arguments",
      "--all goes with audit and status only",
      "it selects JVMs for audit --all",
      "usage: java -jar fourtuple-agent.jar status --all",
      "--json '/' names no file",
    };
    for (int i = 0; i < bad.length; i++) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
      PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      assertEquals(Cli.USAGE, Cli.run(bad[i], out, errStream), String.join(" ", bad[i]));
      String text = err.toString(StandardCharsets.UTF_8);
      assertTrue(text.startsWith("fourtuple: ") && text.contains(says[i]), text);
      assertEquals(1, text.split("\n").length, text);
    }
  }

  @Test
  void theFirstMatchingRuleDecides() throws Exception {
    java.util.Map<Integer, String> users = java.util.Map.of(0, "root", 1000, "app");
    JvmSelection everything = new JvmSelection(java.util.List.of(), users);
    assertEquals(null, everything.leftOutBecause(1, 0, "a.Main"));
    JvmSelection rules =
        new JvmSelection(
            java.util.List.of(
                JvmSelection.Rule.of("--exclude", "^4711$"),
                JvmSelection.Rule.of("--include", "Service"),
                JvmSelection.Rule.of("--include", "^app$"),
                JvmSelection.Rule.of("--exclude", ".")),
            users);
    assertEquals(null, rules.leftOutBecause(12, 0, "io.x.LegacyService"));
    assertEquals("matches --exclude '^4711$'", rules.leftOutBecause(4711, 0, "io.x.Service"));
    assertEquals(null, rules.leftOutBecause(13, 1000, "other.jar"));
    assertEquals("matches --exclude '.'", rules.leftOutBecause(14, 0, "other.jar"));
    JvmSelection onlyIncludes =
        new JvmSelection(java.util.List.of(JvmSelection.Rule.of("--include", "kafka")), users);
    assertEquals("matches no --include", onlyIncludes.leftOutBecause(15, 0, "x.Main"));
  }

  @Test
  void jsonFromAnAgentIsReadWithBounds() {
    Object v =
        JsonReader.parse(
            "{\"a\": [1, 2.5, -3e2, true, null, \"x\\\"\\u0041\\n\"], \"b\": {\"c\": 7}}");
    assertEquals(7, JsonReader.number(JsonReader.get(v, "b"), "c", -1));
    assertEquals(-1, JsonReader.number(v, "missing", -1));
    assertEquals("x\"A\n", JsonReader.list(v, "a").get(5));
    assertEquals(-300.0, JsonReader.list(v, "a").get(2));
    assertEquals(0, JsonReader.list(v, "b").size());
    for (String bad :
        new String[] {"", "{", "[1,]", "{\"a\" 1}", "\"open", "1 2", "tru", "[".repeat(100)}) {
      assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(bad), bad);
    }
  }
}
