package io.fourtuple.agent.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

class AgentLoggersTest {
  private static final Pattern LINE =
      Pattern.compile(
          "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z fourtuple (ERROR|WARN |INFO"
              + " |DEBUG|TRACE) \\[AgentLoggersTest\\] .*");

  @TempDir Path dir;

  @AfterEach
  void restoreDefaults() throws IOException {
    AgentLoggers.configure("info", "stderr");
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  @Test
  void writesLevelAndMessageToTheFile() throws IOException {
    Path file = dir.resolve("agent.log");
    AgentLoggers.configure("info", file.toString());
    Logger log = AgentLoggers.get(AgentLoggersTest.class);

    log.info("hello {} from {}", "world", 42);
    log.warn("careful");
    log.error("broken: {}", "yes");

    List<String> lines = lines(file);
    assertEquals(3, lines.size(), lines.toString());
    for (String line : lines) {
      assertTrue(LINE.matcher(line).matches(), line);
    }
    assertTrue(
        lines.get(0).contains(" INFO  [AgentLoggersTest] hello world from 42"), lines.get(0));
    assertTrue(lines.get(1).contains(" WARN  [AgentLoggersTest] careful"), lines.get(1));
    assertTrue(lines.get(2).contains(" ERROR [AgentLoggersTest] broken: yes"), lines.get(2));
  }

  @Test
  void infoThresholdDropsDebug() throws IOException {
    Path file = dir.resolve("info.log");
    AgentLoggers.configure("info", file.toString());
    Logger log = AgentLoggers.get(AgentLoggersTest.class);

    assertFalse(log.isDebugEnabled());
    assertFalse(log.isTraceEnabled());
    assertTrue(log.isInfoEnabled());
    log.debug("not written");
    log.trace("not written either");
    log.info("written");

    List<String> lines = lines(file);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).endsWith("written"));
  }

  @Test
  void warnThresholdDropsInfoAndDebugThresholdKeepsDebug() throws IOException {
    Path warn = dir.resolve("warn.log");
    AgentLoggers.configure("WARN", warn.toString());
    Logger log = AgentLoggers.get(AgentLoggersTest.class);
    log.info("dropped");
    log.warn("kept");
    assertEquals(1, lines(warn).size());

    Path debug = dir.resolve("debug.log");
    AgentLoggers.configure("debug", debug.toString());
    assertTrue(log.isDebugEnabled());
    log.debug("debug line");
    List<String> lines = lines(debug);
    assertEquals(1, lines.size());
    assertTrue(lines.get(0).contains(" DEBUG [AgentLoggersTest] debug line"), lines.get(0));
    assertEquals(1, lines(warn).size(), "the old destination gets nothing more");
  }

  @Test
  void fileIsAppendedTo() throws IOException {
    Path file = dir.resolve("append.log");
    Files.write(file, List.of("earlier line"), StandardCharsets.UTF_8);
    AgentLoggers.configure("info", file.toString());
    AgentLoggers.get(AgentLoggersTest.class).info("new line");
    List<String> lines = lines(file);
    assertEquals(2, lines.size());
    assertEquals("earlier line", lines.get(0));
  }

  @Test
  void throwableIsPrintedAfterTheLine() throws IOException {
    Path file = dir.resolve("error.log");
    AgentLoggers.configure("info", file.toString());
    AgentLoggers.get(AgentLoggersTest.class).warn("failed", new IllegalStateException("boom"));
    List<String> lines = lines(file);
    assertTrue(lines.get(0).endsWith("failed"), lines.get(0));
    assertTrue(lines.get(1).contains("IllegalStateException: boom"), lines.get(1));
  }

  @Test
  void unwritableFileKeepsThePreviousDestination() throws IOException {
    Path file = dir.resolve("kept.log");
    AgentLoggers.configure("info", file.toString());
    assertThrows(
        IOException.class,
        () -> AgentLoggers.configure("debug", dir.resolve("missing/dir/x.log").toString()));
    Logger log = AgentLoggers.get(AgentLoggersTest.class);
    log.debug("still info threshold");
    log.info("still here");
    List<String> lines = lines(file);
    assertEquals(1, lines.size());
    assertTrue(lines.get(0).endsWith("still here"));
  }
}
