package io.fourtuple.agent.core.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Every file the agent writes goes through here: files it replaces whole (the command line's reply,
 * the port ledger's JSON report, any later report file) through {@link #replace}, and the log file
 * it appends to through {@link #append}.
 *
 * <p>Why: the agent runs with the privileges of the service it is loaded into, and the paths it
 * writes to often lie in directories other users can write ({@code /tmp}). A path someone else
 * could have pre-created must never decide where the service's bytes land:
 *
 * <ul>
 *   <li>{@link #replace} writes a temporary file with a random name in the target's directory,
 *       created exclusively ({@code O_CREAT|O_EXCL}: it fails on any existing entry, a symbolic
 *       link included), mode 0600, then renames it over the target. {@code rename(2)} replaces the
 *       directory entry itself, never the file a link there points to; a reader sees the old file
 *       or the new one.
 *   <li>{@link #append} opens with {@code O_NOFOLLOW} and accepts only a regular file owned by this
 *       process's user or by root.
 *   <li>Both refuse a path with a symbolic link in any existing component unless root or this
 *       process's user owns the link: another user can plant a link (in {@code /tmp}, in a shared
 *       volume), but cannot make one that belongs to someone else.
 * </ul>
 *
 * <p>Hazards: NIO channels and attributes only. {@code Channels.newOutputStream} and {@code
 * Files.newOutputStream} are avoided because on JDK 25 they load {@code sun.nio.ch.Streams}, which
 * loads {@code SocketChannelImpl} before the weaver is installed when the log file is opened at
 * start. A refused path is an {@link IOException} whose message says why, in one line.
 */
public final class OutputFiles {
  /** Mode of every file the agent creates. */
  static final Set<PosixFilePermission> OWNER_READ_WRITE =
      PosixFilePermissions.fromString("rw-------");

  /** Mode of a file that a collector running as another user reads (0644). */
  public static final Set<PosixFilePermission> READABLE_BY_ALL =
      PosixFilePermissions.fromString("rw-r--r--");

  private static final int S_IFMT = 0170000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFREG = 0100000;
  private static final int ATTEMPTS = 16;

  private OutputFiles() {}

  /**
   * Replaces {@code file} with {@code text} (UTF-8) atomically, creating missing parent
   * directories.
   *
   * @throws IOException with the reason in one line; the old file, if any, is left as it was
   */
  public static void replace(Path file, String text) throws IOException {
    replace(file, text, OWNER_READ_WRITE);
  }

  /**
   * As {@link #replace(Path, String)}, the file then given {@code mode} (not narrowed by the umask)
   * before it is renamed into place: for a file another user's process must read, such as
   * node_exporter's textfile collector.
   */
  public static void replace(Path file, String text, Set<PosixFilePermission> mode)
      throws IOException {
    Path target = file.toAbsolutePath().normalize();
    Path dir = target.getParent();
    if (dir == null || target.getFileName() == null) {
      throw new IOException(file + " names no file");
    }
    int own = ownUid();
    // Checked before creating anything (a planted link would decide where the directories go) and
    // after (one could have been planted meanwhile).
    checkLinks(dir, own);
    Files.createDirectories(dir);
    checkLinks(dir, own);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Path temporary = null;
    FileChannel out = null;
    try {
      for (int attempt = 0; out == null; attempt++) {
        temporary = dir.resolve("." + target.getFileName() + "." + randomName() + ".tmp");
        try {
          out = open(temporary, StandardOpenOption.CREATE_NEW);
        } catch (FileAlreadyExistsException taken) {
          if (attempt == ATTEMPTS) {
            throw new IOException(
                "could not create a temporary file in " + dir + " (" + ATTEMPTS + " names taken)");
          }
        }
      }
      try {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      } finally {
        out.close();
      }
      if (!mode.equals(OWNER_READ_WRITE)) {
        Files.setPosixFilePermissions(temporary, mode);
      }
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      temporary = null;
    } finally {
      if (temporary != null) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Removes {@code file} if it exists, refusing a directory behind another user's link as {@link
   * #replace} does; a link at {@code file} itself is removed, never what it points to.
   */
  public static void remove(Path file) throws IOException {
    Path target = file.toAbsolutePath().normalize();
    if (target.getParent() != null) {
      checkLinks(target.getParent(), ownUid());
    }
    Files.deleteIfExists(target);
  }

  /**
   * Opens {@code file} for appending (created with mode 0600 when absent).
   *
   * @throws IOException with the reason in one line when it is a link, not a regular file, or
   *     belongs to another user
   */
  public static OutputStream append(Path file) throws IOException {
    Path target = file.toAbsolutePath().normalize();
    int own = ownUid();
    if (target.getParent() != null) {
      checkLinks(target.getParent(), own);
    }
    Map<String, Object> attributes = attributesOrNull(target);
    if (attributes != null) {
      int mode = (Integer) attributes.get("mode");
      int uid = (Integer) attributes.get("uid");
      if ((mode & S_IFMT) == S_IFLNK) {
        throw new IOException(
            target + " is a symbolic link; the agent appends to no file through a link");
      }
      if ((mode & S_IFMT) != S_IFREG) {
        throw new IOException(target + " is not a regular file");
      }
      if (uid != own && uid != 0) {
        throw new IOException(
            String.format(
                "%s belongs to uid %s, not to this process's user (%s) or root; the agent appends"
                    + " to no file another user could have planted",
                target, uid, own));
      }
    }
    return new ChannelOutput(open(target, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
  }

  /**
   * Refuses {@code dir} when one of its existing components (itself included) is a symbolic link
   * that neither root nor {@code ownUid} owns.
   */
  static void checkLinks(Path dir, int ownUid) throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    Path prefix = absolute.getRoot();
    for (Path name : absolute) {
      prefix = prefix.resolve(name);
      Map<String, Object> attributes = attributesOrNull(prefix);
      if (attributes == null) {
        return;
      }
      int mode = (Integer) attributes.get("mode");
      int uid = (Integer) attributes.get("uid");
      if ((mode & S_IFMT) == S_IFLNK && uid != 0 && uid != ownUid) {
        throw new IOException(
            String.format(
                "%s is a symbolic link owned by uid %s (not root, not this process's user %s); the"
                    + " agent writes through no link another user could have planted",
                prefix, uid, ownUid));
      }
    }
  }

  /** This process's effective uid ({@code /proc/self} belongs to it), or -1 when unknown. */
  public static int ownUid() {
    try {
      return (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException unknown) {
      return -1;
    }
  }

  private static Map<String, Object> attributesOrNull(Path path) throws IOException {
    try {
      return Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException absent) {
      return null;
    }
  }

  /** Opens {@code path} for writing with {@code how}, never through a link; made mode 0600. */
  private static FileChannel open(Path path, OpenOption... how) throws IOException {
    Set<OpenOption> options = new HashSet<OpenOption>(Arrays.asList(how));
    options.add(StandardOpenOption.WRITE);
    options.add(LinkOption.NOFOLLOW_LINKS);
    return FileChannel.open(path, options, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
  }

  /** 20 random hex digits: a name nobody can guess before it is made. */
  public static String randomName() {
    byte[] bytes = new byte[10];
    Random.INSTANCE.nextBytes(bytes);
    StringBuilder out = new StringBuilder(16);
    for (byte b : bytes) {
      out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return out.toString();
  }

  /** Created at the first write, not when the agent starts. */
  private static final class Random {
    static final SecureRandom INSTANCE = new SecureRandom();
  }

  /** A plain stream over a file channel, without {@code sun.nio.ch.Streams} (see the hazards). */
  private static final class ChannelOutput extends OutputStream {
    private final FileChannel channel;

    ChannelOutput(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
