package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
