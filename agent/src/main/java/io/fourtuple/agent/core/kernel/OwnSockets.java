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
  private long[] table;
  private int size;

  private OwnSockets(int capacity) {
    int n = 16;
    while (n < capacity * 2) {
      n <<= 1;
    }
    table = new long[n];
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
          out.add(Long.parseLong(target.substring(8, target.length() - 1)));
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
      out.add(inode);
    }
    return out;
  }

  void add(long inode) {
    if (inode == 0 || contains(inode)) {
      return;
    }
    if ((size + 1) * 2 > table.length) {
      long[] old = table;
      table = new long[old.length * 2];
      size = 0;
      for (long v : old) {
        if (v != 0) {
          add(v);
        }
      }
    }
    int mask = table.length - 1;
    int i = mix(inode) & mask;
    while (table[i] != 0) {
      i = (i + 1) & mask;
    }
    table[i] = inode;
    size++;
  }

  public boolean contains(long inode) {
    if (inode == 0) {
      return false;
    }
    int mask = table.length - 1;
    int i = mix(inode) & mask;
    while (table[i] != 0) {
      if (table[i] == inode) {
        return true;
      }
      i = (i + 1) & mask;
    }
    return false;
  }

  public int size() {
    return size;
  }

  private static int mix(long v) {
    long h = v * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
