package io.fourtuple.agent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TargetFiles} against this very JVM as the target: its root is {@code /}, so what the
 * command line writes into "the target's /tmp" lands in this machine's {@code /tmp}, where the test
 * plants what a hostile target would.
 */
class TargetFilesTest {
  @TempDir Path dir;

  private static TargetJvm self() throws Exception {
    return TargetJvm.inspect((int) ProcessHandle.current().pid());
  }

  /** A jar the target cannot see at its own path: the command line must copy it. */
  private static TargetFiles.LocalJar unseenJar() {
    byte[] bytes = new byte[100_000];
    new java.util.Random(7).nextBytes(bytes);
    return new TargetFiles.LocalJar("/nonexistent/fourtuple-agent.jar", bytes, new Object());
  }

  @Test
  void aCopyGoesIntoAFreshPrivateDirectoryAndNothingStaysWhenTheJvmNeverGotIt() throws Exception {
    TargetFiles.LocalJar jar = unseenJar();
    Path directory;
    try (TargetFiles files = TargetFiles.open(self())) {
      String path = files.prepare(jar);
      assertTrue(path.matches("/tmp/fourtuple-cli-[0-9a-f]{20}/fourtuple-agent\\.jar"), path);
      Path copy = Paths.get(path);
      directory = copy.getParent();
      assertArrayEquals(jar.bytes(), Files.readAllBytes(copy));
      assertEquals("r--------", mode(copy));
      assertEquals("rwx------", mode(directory));
      assertEquals(directory.resolve("reply").toString(), files.replyPath());

      assertNull(files.readReply());
      Files.writeString(directory.resolve("reply"), "exit=0\nok");
      assertEquals("exit=0\nok", files.readReply());
      assertNull(files.finish(false));
    }
    assertFalse(Files.exists(directory));
  }

  @Test
  void aCopyHandedToTheJvmStaysAndSaysWhy() throws Exception {
    Path directory;
    try (TargetFiles files = TargetFiles.open(self())) {
      directory = Paths.get(files.prepare(unseenJar())).getParent();
      String note = files.finish(true);
      assertTrue(note.contains("class path"), note);
      assertEquals(java.util.List.of("fourtuple-agent.jar"), names(directory));
    }
    deleteTree(directory); // what detach would remove
  }

  @Test
  void aJarTheTargetSeesAtItsOwnPathIsHandedOverAsItIs() throws Exception {
    Path real = Files.write(dir.resolve("fourtuple-agent.jar"), new byte[] {1, 2, 3});
    TargetFiles.LocalJar jar = TargetFiles.LocalJar.of(real.toString());
    try (TargetFiles files = TargetFiles.open(self())) {
      assertEquals(real.toRealPath().toString(), files.prepare(jar));
      Path directory = Paths.get(files.replyPath()).getParent();
      assertEquals(java.util.List.of(), names(directory), "no copy");
      assertNull(files.finish(true));
      assertFalse(Files.exists(directory));
    }
  }

  @Test
  void whatTheTargetPlantsInThePrivateDirectoryIsNeitherFollowedNorEntered() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "precious");
    Path victimDir = Files.createDirectory(dir.resolve("victim-dir"));
    Files.writeString(victimDir.resolve("inside"), "also precious");
    Path directory;
    try (TargetFiles files = TargetFiles.open(self())) {
      files.prepare(unseenJar());
      directory = Paths.get(files.replyPath()).getParent();
      Path reply = directory.resolve("reply");

      Files.createSymbolicLink(reply, victim);
      CliException link = assertThrows(CliException.class, files::readReply);
      assertTrue(
          link.getMessage().contains("is a symbolic link, not a regular file"), link::getMessage);

      Files.delete(reply);
      assertEquals(0, new ProcessBuilder("mkfifo", reply.toString()).start().waitFor());
      CliException fifo = assertThrows(CliException.class, files::readReply);
      assertTrue(fifo.getMessage().contains("is a special file"), fifo::getMessage);

      Files.delete(reply);
      Files.writeString(directory.resolve("elsewhere"), "exit=0\nplanted");
      Files.createLink(reply, directory.resolve("elsewhere"));
      CliException hardLink = assertThrows(CliException.class, files::readReply);
      assertTrue(hardLink.getMessage().contains("has 2 hard links"), hardLink::getMessage);

      Files.createSymbolicLink(directory.resolve("tree"), victimDir);
      Files.createDirectory(directory.resolve("sub"));
      Files.writeString(directory.resolve("sub/inner"), "theirs");
      String note = files.finish(false);
      assertTrue(note.contains("holds directories fourtuple did not make (sub)"), note);
    }
    assertEquals(java.util.List.of("sub"), names(directory));
    assertEquals("theirs", Files.readString(directory.resolve("sub/inner")));
    assertEquals("precious", Files.readString(victim));
    assertEquals("also precious", Files.readString(victimDir.resolve("inside")));
    deleteTree(directory);
  }

  @Test
  void theAgentJarAJvmHoldsOpenIsFoundWhateverItsName() throws Exception {
    java.util.jar.Manifest manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Agent-Class", "io.fourtuple.agent.FourtupleAgent");
    Path renamed = dir.resolve("agent-renamed.jar");
    new java.util.jar.JarOutputStream(Files.newOutputStream(renamed), manifest).close();
    int pid = (int) ProcessHandle.current().pid();
    try (java.util.jar.JarFile open = new java.util.jar.JarFile(renamed.toFile())) {
      assertEquals(renamed.toString(), TargetJvm.inspect(pid, true).heldJar);
      // list's quick look goes by the name only.
      assertNull(TargetJvm.inspect(pid, false).heldJar);
    }
  }

  @Test
  void onlyTheCommandLinesOwnCopiesAreRecognised() {
    String name = "fourtuple-cli-0123456789abcdef0123";
    assertEquals(name, TargetFiles.copyDirectory("/tmp/" + name + "/fourtuple-agent.jar"));
    assertEquals(
        name, TargetFiles.copyDirectory("/tmp/" + name + "/fourtuple-agent.jar (deleted)"));
    assertNull(TargetFiles.copyDirectory("/tmp/fourtuple-agent-5425252.jar"));
    assertNull(TargetFiles.copyDirectory("/opt/" + name + "/fourtuple-agent.jar"));
    assertNull(TargetFiles.copyDirectory("/tmp/" + name + "/other.jar"));
    assertNull(TargetFiles.copyDirectory("/tmp/fourtuple-cli-/fourtuple-agent.jar"));
  }

  @Test
  void anAnswerReachesTheTerminalWithoutControlCharacters() {
    assertEquals("a\tb\n?[31mred?", Cli.printable("a\tb\n\u001b[31mred\u009b"));
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static java.util.List<String> names(Path directory) throws Exception {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void deleteTree(Path directory) throws Exception {
    try (Stream<Path> all = Files.walk(directory)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
