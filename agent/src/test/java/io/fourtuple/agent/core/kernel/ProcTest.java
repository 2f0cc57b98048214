package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcTest {
  @Test
  void firstLineIsTrimmedAndNullWhenAbsentOrEmpty(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("range");
    Files.writeString(file, "32768\t60999 \nsecond\n");
    assertEquals("32768\t60999", Proc.firstLine(file.toString()));
    Files.writeString(file, "");
    assertNull(Proc.firstLine(file.toString()));
    assertNull(Proc.firstLine("/nonexistent/fourtuple/test"));
  }

  @Test
  void lineAfterAndNulSeparatedReadThisProcess() {
    long pid = ProcessHandle.current().pid();
    assertEquals(String.valueOf(pid), Proc.lineAfter("/proc/self/status", "Pid:"));
    assertNull(Proc.lineAfter("/proc/self/status", "NoSuchKey:"));
    assertNull(Proc.lineAfter("/nonexistent/fourtuple/test", "Pid:"));
    List<String> cmdline = Proc.nulSeparated("/proc/self/cmdline");
    assertTrue(cmdline.get(0).endsWith("java"), cmdline.toString());
    assertTrue(Proc.nulSeparated("/nonexistent/fourtuple/test").isEmpty());
  }
}
