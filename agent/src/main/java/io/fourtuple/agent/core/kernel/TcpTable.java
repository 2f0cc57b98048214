package io.fourtuple.agent.core.kernel;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;

/**
 * Reads the kernel's TCP socket table, {@code /proc/net/tcp} and {@code /proc/net/tcp6}, of the
 * reader's own network namespace, and hands each row to a {@link Visitor} as primitive fields of
 * one reused {@link Row}.
 *
 * <p>Built to run on an interval on hosts with 100k sockets: it reads in large blocks into one
 * reused buffer, parses bytes by hand (no {@code String} per line, no regex, no allocation per
 * row), and stops parsing a row after the inode column. The file format is {@code seq_printf(...,
 * "%4d: %08X:%04X %08X:%04X %02X ...")} from {@code net/ipv4/tcp_ipv4.c} and {@code
 * net/ipv6/tcp_ipv6.c}: each address word is a 32-bit value printed in the host's byte order, the
 * port in network order, then state, queues, timers, retransmits, uid, timeout and inode.
 *
 * <p>Hazards: {@code /proc} files report size 0, so nothing here trusts a size; a row that does not
 * parse (a future format) is skipped and counted, never thrown. The kernel builds the text while we
 * read it, so the table is a consistent list of rows but not an atomic snapshot. Not thread-safe:
 * one reader per thread.
 */
public final class TcpTable {
  /** One socket of the table. Fields are overwritten for every row: copy what you keep. */
  public static final class Row {
    /** 4 bytes used for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
    public final byte[] local = new byte[16];

    public int localLength;
    public int localPort;
    public final byte[] remote = new byte[16];
    public int remoteLength;
    public int remotePort;
    public int state;

    /** 0 for sockets no process holds (TIME_WAIT, orphaned FIN_WAIT2, embryonic). */
    public long inode;
  }

  /** Receives every row. */
  public interface Visitor {
    void row(Row row);
  }

  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private final Row row = new Row();
  private byte[] buffer = new byte[1 << 18];
  private int rows;
  private int malformed;

  /** Rows parsed by the last {@link #readProc}. */
  public int rows() {
    return rows;
  }

  /** Rows skipped because they did not parse, in the last {@link #readProc}. */
  public int malformed() {
    return malformed;
  }

  /**
   * Reads {@code root/net/tcp} and {@code root/net/tcp6} ({@code root} is {@code /proc} or {@code
   * /proc/self}); a missing file (IPv6 disabled) is skipped.
   *
   * @return false when neither file could be read
   */
  public boolean readProc(String root, Visitor visitor) {
    rows = 0;
    malformed = 0;
    boolean any = readFile(root + "/net/tcp", false, visitor);
    any |= readFile(root + "/net/tcp6", true, visitor);
    return any;
  }

  private boolean readFile(String path, boolean ipv6, Visitor visitor) {
    try (InputStream in = new FileInputStream(path)) {
      parse(in, ipv6, visitor);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Parses one table's text (header line included), as read from {@code in}. */
  public void parse(InputStream in, boolean ipv6, Visitor visitor) throws IOException {
    int start = 0;
    int end = 0;
    boolean header = true;
    while (true) {
      if (end == buffer.length) {
        if (start > 0) {
          System.arraycopy(buffer, start, buffer, 0, end - start);
          end -= start;
          start = 0;
        } else {
          byte[] bigger = new byte[buffer.length * 2];
          System.arraycopy(buffer, 0, bigger, 0, end);
          buffer = bigger;
        }
      }
      int n = in.read(buffer, end, buffer.length - end);
      if (n < 0) {
        break;
      }
      end += n;
      int lineStart = start;
      for (int i = start; i < end; i++) {
        if (buffer[i] == '\n') {
          if (header) {
            header = false;
          } else {
            parseLine(buffer, lineStart, i, ipv6, visitor);
          }
          lineStart = i + 1;
        }
      }
      start = lineStart;
      if (start == end) {
        start = 0;
        end = 0;
      }
    }
    if (end > start && !header) {
      parseLine(buffer, start, end, ipv6, visitor);
    }
  }

  private void parseLine(byte[] b, int from, int to, boolean ipv6, Visitor visitor) {
    Row r = row;
    int p = skipSpaces(b, from, to);
    // "  12: " slot number
    while (p < to && b[p] != ':') {
      p++;
    }
    p = skipSpaces(b, p + 1, to);
    int addressDigits = ipv6 ? 32 : 8;
    if (p + addressDigits + 5 > to) {
      malformed++;
      return;
    }
    r.localLength = address(b, p, ipv6, r.local);
    p += addressDigits;
    r.localPort = hex(b, p + 1, p + 5);
    p = skipSpaces(b, p + 5, to);
    if (p + addressDigits + 5 > to) {
      malformed++;
      return;
    }
    r.remoteLength = address(b, p, ipv6, r.remote);
    p += addressDigits;
    r.remotePort = hex(b, p + 1, p + 5);
    p = skipSpaces(b, p + 5, to);
    int stateEnd = field(b, p, to);
    r.state = hex(b, p, stateEnd);
    // tx_queue:rx_queue, tr:tm->when, retrnsmt
    p = stateEnd;
    for (int skip = 0; skip < 3; skip++) {
      p = field(b, skipSpaces(b, p, to), to);
    }
    p = skipSpaces(b, p, to);
    int uidEnd = field(b, p, to);
    long uid = decimal(b, p, uidEnd);
    p = field(b, skipSpaces(b, uidEnd, to), to); // timeout
    p = skipSpaces(b, p, to);
    int inodeEnd = field(b, p, to);
    r.inode = decimal(b, p, inodeEnd);
    if (r.state < 0 || r.localPort < 0 || r.remotePort < 0 || r.inode < 0 || uid < 0) {
      malformed++;
      return;
    }
    rows++;
    visitor.row(r);
  }

  /**
   * Decodes 8 or 32 hex digits into {@code out}; returns the length (4 or 16), folding IPv4-mapped
   * IPv6 ({@code ::ffff:a.b.c.d}) to 4 bytes.
   */
  private static int address(byte[] b, int p, boolean ipv6, byte[] out) {
    int words = ipv6 ? 4 : 1;
    for (int w = 0; w < words; w++) {
      int value = hex(b, p + w * 8, p + w * 8 + 8);
      value = LITTLE_ENDIAN ? Integer.reverseBytes(value) : value;
      int o = w * 4;
      out[o] = (byte) (value >>> 24);
      out[o + 1] = (byte) (value >>> 16);
      out[o + 2] = (byte) (value >>> 8);
      out[o + 3] = (byte) value;
    }
    if (!ipv6) {
      return 4;
    }
    for (int i = 0; i < 10; i++) {
      if (out[i] != 0) {
        return 16;
      }
    }
    if (out[10] == (byte) 0xff && out[11] == (byte) 0xff) {
      System.arraycopy(out, 12, out, 0, 4);
      return 4;
    }
    return 16;
  }

  /** Hex digits in {@code [from, to)} as an int; -1 if any is not a hex digit. */
  private static int hex(byte[] b, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      int c = b[i];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return -1;
      }
      value = (value << 4) | d;
    }
    return value;
  }

  private static long decimal(byte[] b, int from, int to) {
    if (from >= to) {
      return -1;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      int c = b[i] - '0';
      if (c < 0 || c > 9) {
        return -1;
      }
      value = value * 10 + c;
    }
    return value;
  }

  private static int skipSpaces(byte[] b, int p, int to) {
    while (p < to && b[p] == ' ') {
      p++;
    }
    return p;
  }

  private static int field(byte[] b, int p, int to) {
    while (p < to && b[p] != ' ') {
      p++;
    }
    return p;
  }
}
