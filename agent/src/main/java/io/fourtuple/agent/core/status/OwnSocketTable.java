package io.fourtuple.agent.core.status;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * This process's TCP sockets as the kernel sees them: the socket inodes behind {@code
 * /proc/self/fd}, matched against {@code /proc/self/net/tcp} and {@code tcp6} (which describe the
 * JVM's own network namespace). Sockets the application opened before the agent was attached are
 * here too, so {@code status} shows them from the first second.
 *
 * <p>Deliberately small: a fuller kernel socket-table reader (TIME_WAIT, other processes' ports)
 * belongs to the port ledger and can replace this class behind {@link #read}.
 *
 * <p>Hazards: reads {@code /proc} (a few ms with thousands of sockets); call it off every hook,
 * never while holding a socket lock. Linux only: elsewhere {@link #read} returns an empty,
 * unavailable table.
 */
public final class OwnSocketTable {
  /** TCP states as numbered in {@code include/net/tcp_states.h}. */
  public static final int ESTABLISHED = 1;

  public static final int SYN_SENT = 2;
  public static final int LISTEN = 10;

  /** One socket of this process. */
  public static final class Entry {
    public final String localIp;
    public final int localPort;
    public final String remoteIp;
    public final int remotePort;
    public final int state;
    public final long inode;

    Entry(String localIp, int localPort, String remoteIp, int remotePort, int state, long inode) {
      this.localIp = localIp;
      this.localPort = localPort;
      this.remoteIp = remoteIp;
      this.remotePort = remotePort;
      this.state = state;
      this.inode = inode;
    }

    /** {@code 10.0.0.5:443}, IPv6 in brackets. */
    public String remote() {
      return endpoint(remoteIp, remotePort);
    }

    public String local() {
      return endpoint(localIp, localPort);
    }

    static String endpoint(String ip, int port) {
      return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }
  }

  private final List<Entry> entries;
  private final String problem;
  private final long readAtMillis;

  private OwnSocketTable(List<Entry> entries, String problem) {
    this.entries = entries;
    this.problem = problem;
    this.readAtMillis = System.currentTimeMillis();
  }

  /** Reads the running process's table; never throws (a problem is kept and reported instead). */
  public static OwnSocketTable read() {
    return read(Paths.get("/proc/self"));
  }

  static OwnSocketTable read(Path proc) {
    if (!Files.isDirectory(proc.resolve("fd"))) {
      return new OwnSocketTable(
          new ArrayList<Entry>(), "no " + proc.resolve("fd") + " (not Linux?)");
    }
    try {
      Set<Long> inodes = socketInodes(proc.resolve("fd"));
      List<Entry> mine = new ArrayList<Entry>();
      for (String table : new String[] {"net/tcp", "net/tcp6"}) {
        Path file = proc.resolve(table);
        if (Files.exists(file)) {
          for (Entry e : parse(lines(file))) {
            if (inodes.contains(e.inode)) {
              mine.add(e);
            }
          }
        }
      }
      return new OwnSocketTable(mine, null);
    } catch (IOException | RuntimeException e) {
      return new OwnSocketTable(new ArrayList<Entry>(), "cannot read " + proc + ": " + e);
    }
  }

  /** For tests: a table made of given entries. */
  static OwnSocketTable of(List<Entry> entries) {
    return new OwnSocketTable(entries, null);
  }

  private static Set<Long> socketInodes(Path fdDir) throws IOException {
    Set<Long> out = new HashSet<Long>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
      for (Path fd : fds) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (IOException closedMeanwhile) {
          continue;
        }
        if (target.startsWith("socket:[") && target.endsWith("]")) {
          out.add(Long.parseLong(target.substring(8, target.length() - 1)));
        }
      }
    }
    return out;
  }

  /** /proc files report size 0: read them line by line, never by size. */
  private static List<String> lines(Path file) throws IOException {
    List<String> out = new ArrayList<String>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.add(line);
      }
    }
    return out;
  }

  /**
   * Parses the lines of {@code /proc/net/tcp} or {@code tcp6}: {@code sl local rem st tx:rx tr:when
   * retrnsmt uid timeout inode ...}, addresses in hex as the kernel stores them (each 32-bit word
   * in host, i.e. little-endian, byte order).
   */
  static List<Entry> parse(List<String> lines) {
    List<Entry> out = new ArrayList<Entry>();
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 10 || !f[0].endsWith(":")) {
        continue; // the header, or something this reader does not understand
      }
      try {
        String[] local = f[1].split(":");
        String[] remote = f[2].split(":");
        out.add(
            new Entry(
                address(local[0]),
                Integer.parseInt(local[1], 16),
                address(remote[0]),
                Integer.parseInt(remote[1], 16),
                Integer.parseInt(f[3], 16),
                Long.parseLong(f[9])));
      } catch (RuntimeException | UnknownHostException skipped) {
        // A malformed line: skip it rather than lose the table.
      }
    }
    return out;
  }

  static String address(String hex) throws UnknownHostException {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        int at = word * 8 + (3 - b) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    // An IPv4-mapped IPv6 address (a dual-stack JDK socket talking IPv4) comes back as the IPv4
    // address.
    return InetAddress.getByAddress(bytes).getHostAddress();
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Why the table could not be read, or null. */
  public String problem() {
    return problem;
  }

  public long readAtMillis() {
    return readAtMillis;
  }

  /** Ports this process listens on. */
  public Set<Integer> listeningPorts() {
    Set<Integer> out = new HashSet<Integer>();
    for (Entry e : entries) {
      if (e.state == LISTEN) {
        out.add(e.localPort);
      }
    }
    return out;
  }

  /**
   * Whether {@code e} is this process's client end of a connection: established or connecting, and
   * not a connection accepted on one of its own listening ports.
   */
  public boolean isOutbound(Entry e, Set<Integer> listening) {
    return (e.state == ESTABLISHED || e.state == SYN_SENT) && !listening.contains(e.localPort);
  }
}
