package io.fourtuple.agent.cli;

import io.fourtuple.agent.core.control.ReplyFile;
import io.fourtuple.agent.core.report.OutputFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The target JVM's file system, reached through {@code /proc/<pid>/root} (in a container, the
 * container's), and everything the command line writes there: one private directory per command,
 * and the agent jar when the JVM cannot see one it may load.
 *
 * <p>The rules, because this command often runs as root and the target's files belong to others:
 *
 * <ul>
 *   <li>Nothing already there is loaded unless it is verified: the jar handed to the JVM is the one
 *       it already runs (the same open file), the operator's own jar (the same inode), or a copy
 *       written just now into a fresh directory and checked against the local jar's SHA-256.
 *   <li>No symbolic link is followed below {@code /proc/<pid>/root}: a link there is resolved
 *       against the host's root, outside the container. Directories are held open ({@link
 *       OpenDirectory}) and every name is created exclusively, read and deleted relative to them.
 *   <li>The private directory is made with a random name and mode 0700, and given to the target's
 *       user (so the agent can write its answer); from then on the target could plant anything in
 *       it, so the answer is read and the directory emptied without following links, and a
 *       directory found inside is left, named, never descended into.
 *   <li>A jar path handed to a JVM stays on its system class path for good (the JVM cannot forget
 *       it). So a running JVM is handed the path it already loaded fourtuple from, never a new one,
 *       and a copy is deleted only once the JVM has it open or never got it: a name that stayed on
 *       the class path but was left free could be taken by anyone who can write the directory
 *       around it, and the next lookup of a missing class would load their jar.
 * </ul>
 *
 * <p>The copy of the first attach stays (the command says where): the JVM holds it open, or at
 * least has its path on its class path. {@code detach} removes a copy the JVM holds open; the JVM
 * keeps reading the file it has open.
 */
final class TargetFiles implements AutoCloseable {
  /** The copy's name inside its private directory. */
  static final String JAR = "fourtuple-agent.jar";

  /** An answer larger than this is not read (the agent's reports are bounded far below). */
  private static final long MAX_REPLY = 16L << 20;

  private final TargetJvm target;
  private final OpenDirectory root;
  private final OpenDirectory tmp;
  private final int mine;

  /** This command's private directory, once made. */
  private OpenDirectory exchange;

  private String exchangeName;

  /** Whether a copy was written into {@link #exchange}, and whether it may stay afterwards. */
  private boolean copied;

  private boolean firstCopy;

  private TargetFiles(TargetJvm target, OpenDirectory root, OpenDirectory tmp, int mine) {
    this.target = target;
    this.root = root;
    this.tmp = tmp;
    this.mine = mine;
  }

  /**
   * Opens the target's root and its {@code /tmp}, which must be a real directory: the JVM keeps its
   * attach socket there, and this command puts its private directory there.
   *
   * @throws CliException in one line when {@code /tmp} is a link, missing or not a directory
   */
  static TargetFiles open(TargetJvm target) throws CliException {
    OpenDirectory root;
    try {
      root = OpenDirectory.open(Paths.get("/proc/" + target.pid + "/root"), "/");
    } catch (IOException e) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "cannot open the root directory of process %s (/proc/%s/root): %s",
          target.pid,
          target.pid,
          e.getMessage());
    }
    try {
      Map<String, Object> attributes = root.lstat("tmp");
      if (attributes == null || OpenDirectory.Kind.of(attributes) != OpenDirectory.Kind.DIRECTORY) {
        String what =
            attributes == null
                ? "missing"
                : OpenDirectory.Kind.of(attributes).text + linkText(target, "/tmp");
        throw new CliException(
            Cli.CANNOT_ATTACH,
            "the /tmp of process %s is %s, not a directory: the JVM keeps its attach socket there,"
                + " and fourtuple follows no link in a target's file system (resolved from here, it"
                + " would lead outside it); nothing was done",
            target.pid,
            what);
      }
      return new TargetFiles(target, root, root.child("tmp"), OutputFiles.ownUid());
    } catch (IOException e) {
      root.close();
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "cannot open the /tmp of process " + target.pid + ": " + e.getMessage());
    } catch (CliException e) {
      root.close();
      throw e;
    }
  }

  private static String linkText(TargetJvm target, String path) {
    try {
      return " (to "
          + Files.readSymbolicLink(Paths.get("/proc/" + target.pid + "/root" + path))
          + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** The target's {@code /tmp}, held open. */
  OpenDirectory tmp() {
    return tmp;
  }

  /**
   * Makes this command's private directory and decides which jar path the JVM gets; returns that
   * path as the JVM sees it.
   *
   * @throws CliException in one line when no safe path exists or the directory cannot be made
   */
  String prepare(LocalJar jar) throws CliException {
    String held = target.heldJar;
    String name = null;
    String path = null;
    boolean copy = false;
    if (held != null && !held.endsWith(" (deleted)") && isHeldFile(held)) {
      path = held; // the file it already runs: nothing new reaches its class path
    } else if (sameFileInside(jar.path, jar.key)) {
      path = jar.path; // the operator's own jar, visible at the same path
    } else if (held == null) {
      copy = true;
      firstCopy = true;
    } else if (copyDirectory(held) != null && absent(copyDirectory(held))) {
      // The JVM runs an earlier copy that detach removed: the same path again (the JVM has it on
      // its class path already, open), with the same verified content, removed afterwards.
      name = copyDirectory(held);
      copy = true;
    } else {
      throw new CliException(
          Cli.FAILED,
          "process %s loaded fourtuple from %s, which is gone or no longer that file, and it"
              + " cannot see %s: fourtuple hands a running JVM no other jar path (each stays on its"
              + " class path for good); put the same jar back at that path, or run this command"
              + " from a jar at a path the JVM sees",
          target.pid,
          held,
          jar.path);
    }
    makeExchange(name);
    if (copy) {
      writeCopy(jar);
      path = exchange.shown(JAR);
    }
    giveToTarget();
    return path;
  }

  /** The reply path the agent is told, as the target sees it. */
  String replyPath() {
    return exchange.shown(ReplyFile.NAME);
  }

  /**
   * The agent's answer, or null when there is none.
   *
   * @throws CliException when something other than a plain file sits where the answer belongs
   */
  String readReply() throws CliException {
    try {
      byte[] bytes = exchange.readRegular(ReplyFile.NAME, MAX_REPLY);
      return bytes == null ? null : new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException(
          Cli.FAILED,
          "refused to read the answer of process " + target.pid + ": " + e.getMessage());
    }
  }

  /**
   * Empties and removes this command's private directory. A first copy of the jar that was handed
   * to the JVM stays: the JVM has its path on its class path now (and usually the file open), so
   * the name must stay taken. Returns a line for the operator about anything left, or null.
   *
   * @param handedOver whether the jar path went to the JVM in a {@code loadAgent}
   */
  String finish(boolean handedOver) {
    if (exchange == null) {
      return null;
    }
    boolean keep = copied && firstCopy && handedOver;
    try {
      String left = empty(exchange, keep ? JAR : null);
      if (left != null) {
        return left;
      }
      if (!keep) {
        exchange.close();
        tmp.deleteDirectory(exchangeName);
        exchange = null;
        return null;
      }
    } catch (IOException e) {
      return "could not remove " + exchange.shown + " from" + fileSystem() + ": " + e.getMessage();
    }
    return String.format("the agent jar stays at %s in%s", exchange.shown(JAR), fileSystem())
        + (isOpenInTarget(exchange, JAR)
            ? " while that JVM holds it open; 'detach " + target.pid + "' removes it"
            : ": that JVM has the path on its class path for good (it runs fourtuple classes"
                + " from elsewhere), so the name stays taken");
  }

  /**
   * After a detach: removes the copy of the jar the JVM runs, when this command line put it there.
   * Returns a line for the operator, or null when there was none.
   */
  String removeHeldCopy() {
    String name = target.heldJar == null ? null : copyDirectory(target.heldJar);
    if (name == null) {
      return null;
    }
    String shown = tmp.shown(name);
    try {
      Map<String, Object> attributes = tmp.lstat(name);
      if (attributes == null) {
        return null;
      }
      int uid = (Integer) attributes.get("uid");
      if (OpenDirectory.Kind.of(attributes) != OpenDirectory.Kind.DIRECTORY
          || (uid != target.uid && uid != mine)
          || ((Integer) attributes.get("mode") & 0777) != 0700) {
        return String.format(
            "left %s in%s: it is not a private directory fourtuple made", shown, fileSystem());
      }
      String left;
      try (OpenDirectory directory = tmp.child(name)) {
        left = empty(directory, null);
      }
      if (left != null) {
        return left;
      }
      tmp.deleteDirectory(name);
      return String.format(
          "removed %s (the agent jar copy) from%s; the JVM keeps reading the copy it has open",
          shown, fileSystem());
    } catch (IOException e) {
      return "could not remove " + shown + " from" + fileSystem() + ": " + e.getMessage();
    }
  }

  /**
   * Deletes every entry of {@code directory} but {@code keep} and the directories, which it never
   * enters (the target could have planted them); returns a line naming those, or null.
   */
  private String empty(OpenDirectory directory, String keep) throws IOException {
    List<String> left = new ArrayList<String>();
    for (String entry : directory.names()) {
      Map<String, Object> attributes = directory.lstat(entry);
      if (attributes == null || entry.equals(keep)) {
        continue;
      }
      if (OpenDirectory.Kind.of(attributes) == OpenDirectory.Kind.DIRECTORY) {
        left.add(entry);
      } else {
        directory.delete(entry);
      }
    }
    return left.isEmpty()
        ? null
        : String.format(
            "left %s in%s: it holds directories fourtuple did not make (%s), which it does not"
                + " enter",
            directory.shown, fileSystem(), String.join(", ", left));
  }

  private String fileSystem() {
    return " the file system of process " + target.pid;
  }

  @Override
  public void close() {
    if (exchange != null) {
      exchange.close();
    }
    tmp.close();
    root.close();
  }

  // ---- the steps ----

  private void makeExchange(String wanted) throws CliException {
    String cannot = "cannot make a private directory in the /tmp of process " + target.pid;
    for (int attempt = 0; ; attempt++) {
      String name = wanted != null ? wanted : ReplyFile.DIRECTORY_PREFIX + OutputFiles.randomName();
      try {
        tmp.createDirectory(name);
        exchangeName = name;
        break;
      } catch (FileAlreadyExistsException taken) {
        if (wanted != null || attempt == 8) {
          throw new CliException(Cli.FAILED, cannot + ": " + tmp.shown(name) + " exists already");
        }
      } catch (FileSystemException e) {
        throw new CliException(
            Cli.CANNOT_ATTACH,
            "%s (%s): fourtuple needs one to hand over its jar and read the answer%s; nothing was"
                + " done",
            cannot,
            e.getReason(),
            "Read-only file system".equals(e.getReason())
                ? ", and the JVM cannot open its attach socket in a read-only /tmp either; load"
                    + " fourtuple with -javaagent"
                : "");
      } catch (IOException e) {
        throw new CliException(Cli.CANNOT_ATTACH, cannot + ": " + e);
      }
    }
    try {
      exchange = tmp.child(exchangeName);
      Map<String, Object> attributes = exchange.attributes();
      if ((Integer) attributes.get("uid") != mine
          || ((Integer) attributes.get("mode") & 0777) != 0700) {
        throw new IOException(exchange.shown + " is not the directory just made");
      }
    } catch (IOException e) {
      throw new CliException(
          Cli.FAILED,
          "cannot open the private directory in the /tmp of process %s: %s",
          target.pid,
          e.getMessage());
    }
  }

  /** Writes the jar into the private directory and checks what landed there against its hash. */
  private void writeCopy(LocalJar jar) throws CliException {
    try (SeekableByteChannel out = exchange.createFile(JAR, "r--------")) {
      copied = true;
      byte[] content = jar.bytes();
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      out.position(0);
      MessageDigest digest = sha256();
      ByteBuffer back = ByteBuffer.allocate(64 * 1024);
      long total = 0;
      int n;
      while ((n = out.read(back)) > 0) {
        back.flip();
        digest.update(back);
        back.clear();
        total += n;
      }
      if (total != content.length || !MessageDigest.isEqual(digest.digest(), jar.sha256())) {
        throw new IOException("the copy's SHA-256 differs from " + jar.path + "'s");
      }
    } catch (IOException e) {
      throw new CliException(
          Cli.FAILED,
          "cannot copy the agent jar into%s (it does not see %s): %s",
          fileSystem(),
          jar.path,
          e.getMessage());
    }
  }

  /** Hands the private directory (and the copy) to the target's user, when that is not us. */
  private void giveToTarget() throws CliException {
    if (mine == target.uid) {
      return;
    }
    try {
      if (copied) {
        exchange.chown(JAR, target.uid, target.gid);
      }
      exchange.chownSelf(target.uid, target.gid);
    } catch (IOException e) {
      throw new CliException(
          Cli.FAILED,
          "cannot give %s to uid %s (the JVM's user): %s",
          exchange.shown,
          target.uid,
          e.getMessage());
    }
  }

  /** Whether {@code path} in the target is, without any link, the very file the JVM holds open. */
  private boolean isHeldFile(String path) {
    try {
      Object key =
          Files.readAttributes(target.heldJarDescriptor, BasicFileAttributes.class).fileKey();
      return sameFileInside(path, key);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether {@code path}, walked from the target's root without following any link, is a regular
   * file with {@code key} (device and inode).
   */
  private boolean sameFileInside(String path, Object key) {
    if (!path.startsWith("/")) {
      return false;
    }
    List<String> names = new ArrayList<String>();
    for (String name : path.substring(1).split("/")) {
      if (name.isEmpty() || name.equals(".") || name.equals("..")) {
        return false;
      }
      names.add(name);
    }
    List<OpenDirectory> opened = new ArrayList<OpenDirectory>();
    try {
      OpenDirectory at = root;
      for (String name : names.subList(0, names.size() - 1)) {
        at = at.child(name);
        opened.add(at);
      }
      Map<String, Object> attributes = at.lstat(names.get(names.size() - 1));
      return attributes != null
          && OpenDirectory.Kind.of(attributes) == OpenDirectory.Kind.REGULAR
          && key.equals(attributes.get("fileKey"));
    } catch (IOException | RuntimeException e) {
      return false;
    } finally {
      for (OpenDirectory d : opened) {
        d.close();
      }
    }
  }

  /** Whether the JVM has the file {@code name} of {@code directory} open. */
  private boolean isOpenInTarget(OpenDirectory directory, String name) {
    try {
      Map<String, Object> attributes = directory.lstat(name);
      if (attributes == null) {
        return false;
      }
      return OpenDirectory.descriptorOf(target.pid, attributes.get("fileKey")) != null;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private boolean absent(String name) {
    try {
      return tmp.lstat(name) == null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The name of the private directory when {@code held} is a copy this command line made ({@code
   * /tmp/fourtuple-cli-<random>/fourtuple-agent.jar}), else null.
   */
  static String copyDirectory(String held) {
    String path = held.endsWith(" (deleted)") ? held.substring(0, held.length() - 10) : held;
    String[] parts = path.split("/");
    if (parts.length == 4
        && parts[0].isEmpty()
        && parts[1].equals("tmp")
        && parts[2].startsWith(ReplyFile.DIRECTORY_PREFIX)
        && parts[2].length() > ReplyFile.DIRECTORY_PREFIX.length()
        && parts[3].equals(JAR)) {
      return parts[2];
    }
    return null;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * The jar this command runs from: its real path and inode; its content and the content's SHA-256
   * are read only when a copy is needed.
   */
  static final class LocalJar {
    final String path;
    final Object key;
    private byte[] bytes;
    private byte[] sha256;

    LocalJar(String path, byte[] bytes, Object key) {
      this.path = path;
      this.key = key;
      this.bytes = bytes;
    }

    static LocalJar of(String jar) throws CliException {
      try {
        Path real = Paths.get(jar).toRealPath();
        Object key = Files.readAttributes(real, BasicFileAttributes.class).fileKey();
        return new LocalJar(real.toString(), null, key);
      } catch (IOException e) {
        throw new CliException(Cli.FAILED, "cannot read the agent jar " + jar + ": " + e);
      }
    }

    byte[] bytes() throws IOException {
      if (bytes == null) {
        bytes = Files.readAllBytes(Paths.get(path));
      }
      return bytes;
    }

    byte[] sha256() throws IOException {
      if (sha256 == null) {
        sha256 = TargetFiles.sha256().digest(bytes());
      }
      return sha256;
    }

    @Override
    public String toString() {
      return path;
    }
  }
}
