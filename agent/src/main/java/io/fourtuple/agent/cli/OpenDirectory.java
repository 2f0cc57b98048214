package io.fourtuple.agent.cli;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A directory of a target's file system, held open: every name the command line creates, reads,
 * changes or deletes is looked up in this very directory, whatever is renamed or planted around it
 * meanwhile, and never through a symbolic link.
 *
 * <p>How, in Java: {@link SecureDirectoryStream} gives the {@code openat} family (open a file or a
 * subdirectory relative to the open directory with {@code O_NOFOLLOW}, delete relative to it); for
 * the two calls it lacks, {@code mkdir} and the {@code unix:*} attributes ({@code lstat}), the
 * directory is named through its own descriptor, {@code /proc/self/fd/<n>/<name>}: the kernel
 * resolves {@code /proc/self/fd/<n>} to the open directory itself, and neither {@code mkdir} nor
 * {@code lstat} follows the last component.
 *
 * <p>Hazards: a name is one path component, never {@code .} or {@code ..}. A subdirectory is opened
 * only after {@code lstat} says it is a directory and is checked to be the same inode once open:
 * opening a FIFO swapped in between would block, which only someone who can rename entries in the
 * parent can do. Files are read with {@code O_RDWR} so that a FIFO swapped in after the check
 * cannot block the read either.
 */
final class OpenDirectory implements Closeable {
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFSOCK = 0140000;

  /** What an entry is, from {@code lstat}. */
  enum Kind {
    DIRECTORY("a directory"),
    REGULAR("a regular file"),
    LINK("a symbolic link"),
    SOCKET("a socket"),
    OTHER("a special file");

    final String text;

    Kind(String text) {
      this.text = text;
    }

    static Kind of(Map<String, Object> attributes) {
      switch ((Integer) attributes.get("mode") & S_IFMT) {
        case S_IFDIR:
          return DIRECTORY;
        case S_IFREG:
          return REGULAR;
        case S_IFLNK:
          return LINK;
        case S_IFSOCK:
          return SOCKET;
        default:
          return OTHER;
      }
    }
  }

  private final SecureDirectoryStream<Path> stream;
  private final Path handle;
  private final Object key;

  /** The directory's path as the target sees it, for messages. */
  final String shown;

  private OpenDirectory(SecureDirectoryStream<Path> stream, Path handle, Object key, String shown) {
    this.stream = stream;
    this.handle = handle;
    this.key = key;
    this.shown = shown;
  }

  /**
   * Opens {@code path}, following links: only for {@code /proc/<pid>/root}, the kernel's own link
   * to a process's root directory.
   */
  static OpenDirectory open(Path path, String shown) throws IOException {
    DirectoryStream<Path> directory = Files.newDirectoryStream(path);
    if (!(directory instanceof SecureDirectoryStream)) {
      directory.close();
      throw new IOException(
          "this Java runtime cannot hold a directory open (no SecureDirectoryStream)");
    }
    return wrap((SecureDirectoryStream<Path>) directory, shown);
  }

  private static OpenDirectory wrap(SecureDirectoryStream<Path> stream, String shown)
      throws IOException {
    try {
      Object key =
          stream.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
      Path descriptor = descriptorOf(Paths.get("/proc/self/fd"), key);
      if (descriptor == null) {
        throw new IOException("cannot find the descriptor of an open directory in /proc/self/fd");
      }
      return new OpenDirectory(stream, descriptor, key, shown);
    } catch (IOException | RuntimeException e) {
      stream.close();
      throw e;
    }
  }

  /** The descriptor of process {@code pid} open on the file {@code key} (device and inode). */
  static Path descriptorOf(int pid, Object key) throws IOException {
    return descriptorOf(Paths.get("/proc/" + pid + "/fd"), key);
  }

  private static Path descriptorOf(Path fdDirectory, Object key) throws IOException {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDirectory)) {
      for (Path fd : fds) {
        try {
          if (key.equals(Files.readAttributes(fd, BasicFileAttributes.class).fileKey())) {
            return fd;
          }
        } catch (IOException closedMeanwhile) {
          // the listing's own descriptor, or one closed by another thread
        }
      }
    }
    return null;
  }

  /** The {@code unix:*} attributes of {@code name} itself (a link is not followed), or null. */
  Map<String, Object> lstat(String name) throws IOException {
    try {
      return Files.readAttributes(at(name), "unix:*", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException absent) {
      return null;
    }
  }

  /** This directory's own attributes. */
  Map<String, Object> attributes() throws IOException {
    return Files.readAttributes(handle, "unix:*");
  }

  /**
   * Opens the subdirectory {@code name}.
   *
   * @throws IOException saying what {@code name} is when it is not a directory (a link included)
   */
  OpenDirectory child(String name) throws IOException {
    Map<String, Object> attributes = lstat(name);
    if (attributes == null) {
      throw new NoSuchFileException(shown(name));
    }
    Kind kind = Kind.of(attributes);
    if (kind != Kind.DIRECTORY) {
      throw new IOException(shown(name) + " is " + kind.text + ", not a directory");
    }
    OpenDirectory child =
        wrap(
            stream.newDirectoryStream(Paths.get(check(name)), LinkOption.NOFOLLOW_LINKS),
            shown(name));
    if (!child.key.equals(attributes.get("fileKey"))) {
      child.close();
      throw new IOException(shown(name) + " was replaced while it was being opened");
    }
    return child;
  }

  /** Makes the subdirectory {@code name}, mode 0700; fails if anything by that name exists. */
  void createDirectory(String name) throws IOException {
    Files.createDirectory(
        at(name),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /**
   * Creates the file {@code name} with {@code mode}, open for writing and reading back; fails if
   * anything by that name exists.
   */
  SeekableByteChannel createFile(String name, String mode) throws IOException {
    return stream.newByteChannel(
        Paths.get(check(name)),
        readWrite(StandardOpenOption.CREATE_NEW),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
  }

  /**
   * Reads {@code name}, which must be a regular file with a single link and at most {@code max}
   * bytes; null when there is no such entry.
   *
   * @throws IOException saying what the entry is when it is anything else
   */
  byte[] readRegular(String name, long max) throws IOException {
    Map<String, Object> attributes = lstat(name);
    if (attributes == null) {
      return null;
    }
    Kind kind = Kind.of(attributes);
    if (kind != Kind.REGULAR) {
      throw new IOException(shown(name) + " is " + kind.text + ", not a regular file");
    }
    if ((Integer) attributes.get("nlink") != 1) {
      throw new IOException(shown(name) + " has " + attributes.get("nlink") + " hard links");
    }
    try (SeekableByteChannel in = stream.newByteChannel(Paths.get(check(name)), readWrite())) {
      long size = in.size();
      if (size > max) {
        throw new IOException(shown(name) + " has " + size + " bytes, more than " + max);
      }
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) size);
      while (buffer.hasRemaining() && in.read(buffer) > 0) {
        // until full or end of file
      }
      return Arrays.copyOf(buffer.array(), buffer.position());
    }
  }

  /** Gives {@code name} (not a link's target) to {@code uid}:{@code gid}. */
  void chown(String name, int uid, int gid) throws IOException {
    Files.setAttribute(at(name), "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(at(name), "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  /** Gives this directory to {@code uid}:{@code gid}. */
  void chownSelf(int uid, int gid) throws IOException {
    Files.setAttribute(handle, "unix:uid", uid);
    Files.setAttribute(handle, "unix:gid", gid);
  }

  /**
   * Removes the entry {@code name} when it is not a directory (a link is removed, not followed).
   */
  void delete(String name) throws IOException {
    stream.deleteFile(Paths.get(check(name)));
  }

  /** Removes the empty subdirectory {@code name}. */
  void deleteDirectory(String name) throws IOException {
    stream.deleteDirectory(Paths.get(check(name)));
  }

  /** The names in this directory now. */
  List<String> names() throws IOException {
    List<String> out = new ArrayList<String>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(handle)) {
      for (Path entry : entries) {
        out.add(entry.getFileName().toString());
      }
    }
    return out;
  }

  /** Read and write, never through a link, and {@code more}. */
  private static Set<OpenOption> readWrite(OpenOption... more) {
    Set<OpenOption> options = new HashSet<OpenOption>(Arrays.asList(more));
    options.addAll(
        Arrays.asList(
            StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
    return options;
  }

  String shown(String name) {
    return (shown.endsWith("/") ? shown : shown + "/") + name;
  }

  private Path at(String name) {
    return handle.resolve(check(name));
  }

  private static String check(String name) {
    if (name.isEmpty() || name.indexOf('/') >= 0 || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("not a single file name: " + name);
    }
    return name;
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (IOException ignored) {
      // closing a directory stream does not fail in a way anyone could act on
    }
  }
}
