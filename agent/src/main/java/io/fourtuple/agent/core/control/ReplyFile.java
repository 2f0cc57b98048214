package io.fourtuple.agent.core.control;

import io.fourtuple.agent.core.report.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Where a running agent may write its answer to a command ({@code reply=}): only into a private
 * directory the command line made for it, never to a path an argument names at will.
 *
 * <p>The rule: {@code reply=} must be {@code <dir>/reply}, where {@code <dir>} is named {@code
 * fourtuple-cli-*}, is a real directory reached without any symbolic link, belongs to this
 * process's user and has mode 0700. Nobody but that user and root can put anything there, so the
 * answer cannot be turned into a write elsewhere. The command line makes exactly such a directory
 * (in the target's own {@code /tmp}) for each command; a {@code jattach} user can make one with
 * {@code mkdir -m 700 /tmp/fourtuple-cli-x}.
 *
 * <p>Who can send a command at all is the JVM's business: its attach mechanism accepts only its own
 * user and root (see docs/security.md); this check keeps a command from making the agent write
 * anywhere else.
 */
public final class ReplyFile {
  /** How the command line names its private directories. */
  public static final String DIRECTORY_PREFIX = "fourtuple-cli-";

  /** The answer's file name inside that directory. */
  public static final String NAME = "reply";

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private ReplyFile() {}

  /**
   * Why the agent refuses to write an answer to {@code reply}, or null when it may, for a process
   * running as {@code ownUid}.
   */
  public static String refusal(String reply, int ownUid) {
    Path path;
    try {
      path = Paths.get(reply);
    } catch (RuntimeException e) {
      return "it is not a path";
    }
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      return "it is not an absolute path without . or .. components";
    }
    Path dir = path.getParent();
    if (!NAME.equals(String.valueOf(path.getFileName()))
        || dir == null
        || dir.getFileName() == null
        || !dir.getFileName().toString().startsWith(DIRECTORY_PREFIX)) {
      return "it is not <dir>/" + NAME + " with <dir> named " + DIRECTORY_PREFIX + "*";
    }
    try {
      Path prefix = dir.getRoot();
      Map<String, Object> attributes = null;
      for (Path name : dir) {
        prefix = prefix.resolve(name);
        attributes = Files.readAttributes(prefix, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        if (((Integer) attributes.get("mode") & S_IFMT) == S_IFLNK) {
          return prefix + " is a symbolic link";
        }
      }
      int mode = (Integer) attributes.get("mode");
      int uid = (Integer) attributes.get("uid");
      if ((mode & S_IFMT) != S_IFDIR) {
        return dir + " is not a directory";
      }
      if (uid != ownUid) {
        return dir + " belongs to uid " + uid + ", not to this process's user (" + ownUid + ")";
      }
      if ((mode & 0777) != 0700) {
        return dir + " has mode " + Integer.toOctalString(mode & 0777) + ", not 700";
      }
      return null;
    } catch (NoSuchFileException e) {
      return e.getFile() + " does not exist";
    } catch (IOException | RuntimeException e) {
      return "it cannot be checked: " + e;
    }
  }

  /**
   * Writes the answer: the first line {@code exit=<code>}, then {@code body}, through the one
   * atomic writer. The caller has checked {@link #refusal} first.
   */
  public static void write(String reply, int exitCode, String body) throws IOException {
    OutputFiles.replace(Paths.get(reply), "exit=" + exitCode + "\n" + body);
  }
}
