package io.fourtuple.agent.core.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The socket inodes this process holds: the targets of {@code /proc/self/fd/*} links that read
 * {@code socket:[inode]}. A kernel table row whose inode is in this set is one of this JVM's
 * sockets; rows with inode 0 (TIME_WAIT and other orphans) belong to no process.
 *
 * <p>Hazard: descriptors open and close while the directory is listed, so a link may vanish between
 * listing and reading; such a descriptor is skipped.
 */
public final class OwnSockets {
  private final IntSet inodes;

  private OwnSockets(int capacity) {
    inodes = new IntSet(capacity);
  }

  /** Reads {@code /proc/self/fd}; null when it cannot be listed. */
  public static OwnSockets current() {
    return read(Paths.get("/proc/self/fd"));
  }

  static OwnSockets read(Path fdDirectory) {
    String[] names = fdDirectory.toFile().list();
    if (names == null) {
      return null;
    }
    OwnSockets out = new OwnSockets(names.length);
    for (String name : names) {
      try {
        String target = Files.readSymbolicLink(fdDirectory.resolve(name)).toString();
        if (target.startsWith("socket:[") && target.endsWith("]")) {
          out.inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
        }
      } catch (IOException | RuntimeException gone) {
        // closed between list and readlink, or not a link: not a socket we hold now
      }
    }
    return out;
  }

  /** For tests: a set of the given inodes. */
  public static OwnSockets of(long... inodes) {
    OwnSockets out = new OwnSockets(inodes.length);
    for (long inode : inodes) {
      out.inodes.add(inode);
    }
    return out;
  }

  /** Whether this process holds the socket {@code inode}; never for 0 (no owner). */
  public boolean contains(long inode) {
    return inode != 0 && inodes.contains(inode);
  }
}
