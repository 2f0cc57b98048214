package io.fourtuple.agent.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.report.OutputFiles;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplyFileTest {
  @TempDir Path dir;

  private final int me = OutputFiles.ownUid();

  private Path privateDirectory(String name) throws Exception {
    return Files.createDirectory(
        dir.resolve(name),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @Test
  void aPrivateDirectoryOfTheCommandLineIsAccepted() throws Exception {
    Path reply = privateDirectory("fourtuple-cli-abc").resolve("reply");
    assertNull(ReplyFile.refusal(reply.toString(), me));
    ReplyFile.write(reply.toString(), 3, "not attached");
    assertEquals("exit=3\nnot attached", Files.readString(reply));
  }

  @Test
  void anyOtherPathIsRefusedWithItsReason() throws Exception {
    Path good = privateDirectory("fourtuple-cli-abc");
    refused("reply", "absolute path");
    refused(good + "/../fourtuple-cli-abc/reply", "absolute path");
    refused(good.resolve("answer").toString(), "<dir>/reply");
    refused(privateDirectory("elsewhere").resolve("reply").toString(), "fourtuple-cli-*");
    refused("/etc/passwd", "<dir>/reply");
    refused(dir.resolve("fourtuple-cli-missing/reply").toString(), "does not exist");

    Path open = privateDirectory("fourtuple-cli-open");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    refused(open.resolve("reply").toString(), "has mode 755, not 700");

    Path link = Files.createSymbolicLink(dir.resolve("fourtuple-cli-link"), good);
    refused(link.resolve("reply").toString(), "is a symbolic link");
    Path linkedParent = Files.createSymbolicLink(dir.resolve("parent"), dir);
    refused(linkedParent.resolve("fourtuple-cli-abc/reply").toString(), "is a symbolic link");

    Path file = Files.createFile(dir.resolve("fourtuple-cli-file"));
    refused(file.resolve("reply").toString(), "is not a directory");
  }

  @Test
  void aDirectoryOfAnotherUserIsRefused() throws Exception {
    Assumptions.assumeTrue(me == 0, "needs root to give a directory to another user");
    Path theirs = privateDirectory("fourtuple-cli-theirs");
    Files.setAttribute(theirs, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
    refused(theirs.resolve("reply").toString(), "belongs to uid 65534");
  }

  private void refused(String reply, String why) {
    String refusal = ReplyFile.refusal(reply, me);
    assertNotNull(refusal, reply);
    assertTrue(refusal.contains(why), reply + ": " + refusal);
  }
}
