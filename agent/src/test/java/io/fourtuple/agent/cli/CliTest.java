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
    for (String bad : new String[] {"0s", "-3s", "soon", "25h", "NaN"}) {
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
}
