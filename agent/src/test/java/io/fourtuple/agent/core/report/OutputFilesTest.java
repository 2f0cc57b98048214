package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {
  /** A uid that is neither root nor the test's user. */
  static final int OTHER = 65534;

  @TempDir Path dir;

  @Test
  void replaceIsAtomicModeSixHundredAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("sub/ledger.json");
    OutputFiles.replace(file, "{\"a\":1}\n");
    OutputFiles.replace(file, "{\"a\":2}\n");
    assertEquals("{\"a\":2}\n", Files.readString(file, StandardCharsets.UTF_8));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(List.of("ledger.json"), names(file.getParent()));
  }

  @Test
  void replaceReplacesALinkAtTheNameAndNeverWritesWhereItPoints() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "precious");
    Path report = dir.resolve("report.json");
    Files.createSymbolicLink(report, victim);
    OutputFiles.replace(report, "{}");
    assertEquals("precious", Files.readString(victim));
    assertFalse(Files.isSymbolicLink(report));
    assertEquals("{}", Files.readString(report));
  }

  @Test
  void replaceRefusesADirectoryBehindAnotherUsersLink() throws Exception {
    Path victimDir = Files.createDirectory(dir.resolve("victim-dir"));
    Path link = Files.createSymbolicLink(dir.resolve("reports"), victimDir);
    chownLink(link, OTHER);
    IOException e =
        assertThrows(
            IOException.class, () -> OutputFiles.replace(link.resolve("new/r.json"), "{}"));
    assertTrue(e.getMessage().contains("symbolic link owned by uid " + OTHER), e.getMessage());
    assertEquals(List.of(), names(victimDir), "nothing was created behind the link");
  }

  @Test
  void replaceFollowsALinkOfItsOwnUser() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("mine"), real);
    OutputFiles.replace(link.resolve("r.json"), "{}");
    assertEquals("{}", Files.readString(real.resolve("r.json")));
  }

  @Test
  void appendAddsToARegularFileAndCreatesModeSixHundred() throws Exception {
    Path log = dir.resolve("agent.log");
    try (OutputStream out = OutputFiles.append(log)) {
      out.write("one\n".getBytes(StandardCharsets.UTF_8));
    }
    try (OutputStream out = OutputFiles.append(log)) {
      out.write("two\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals("one\ntwo\n", Files.readString(log));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
  }

  @Test
  void appendRefusesALinkAFifoAndAnotherUsersFile() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "precious");
    Path link = Files.createSymbolicLink(dir.resolve("link.log"), victim);
    assertRefused(link, "is a symbolic link");

    Path fifo = dir.resolve("fifo.log");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, mkfifo.waitFor());
    // Opening a FIFO for writing would block until a reader came: refused before the open.
    assertRefused(fifo, "is not a regular file");

    Path planted = Files.writeString(dir.resolve("planted.log"), "");
    chownLink(planted, OTHER);
    assertRefused(planted, "belongs to uid " + OTHER);
    assertEquals("precious", Files.readString(victim));
    assertEquals("", Files.readString(planted));
  }

  private static void assertRefused(Path file, String why) {
    IOException e = assertThrows(IOException.class, () -> OutputFiles.append(file).close());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  /** Gives {@code path} itself (not a link's target) to {@code uid}; needs root. */
  static void chownLink(Path path, int uid) throws IOException {
    Assumptions.assumeTrue(OutputFiles.ownUid() == 0, "needs root to give a file to another user");
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
  }

  private static List<String> names(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
