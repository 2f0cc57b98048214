package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpTableTest {
  /** A copy of the fields of one row. */
  record Parsed(String local, String remote, int state, long inode) {}

  static List<Parsed> parse(String text, boolean ipv6) throws Exception {
    List<Parsed> out = new ArrayList<>();
    TcpTable table = new TcpTable();
    table.parse(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
        ipv6,
        r ->
            out.add(
                new Parsed(
                    Endpoint.of(java.util.Arrays.copyOf(r.local, r.localLength), r.localPort)
                        .toString(),
                    Endpoint.of(java.util.Arrays.copyOf(r.remote, r.remoteLength), r.remotePort)
                        .toString(),
                    r.state,
                    r.inode)));
    return out;
  }

  @Test
  void parsesIpv4RowsInHostByteOrder() throws Exception {
    List<Parsed> rows = parse(Captured.TCP, false);
    assertEquals(4, rows.size());
    assertEquals(
        new Parsed("127.0.0.1:8080", "0.0.0.0:0", TcpState.LISTEN, 38412899L), rows.get(0));
    assertEquals(
        new Parsed("127.0.0.1:49606", "127.0.0.1:8080", TcpState.ESTABLISHED, 38413129L),
        rows.get(1));
    assertEquals(
        new Parsed("127.0.0.1:49616", "127.0.0.1:8080", TcpState.TIME_WAIT, 0L), rows.get(2));
  }

  @Test
  void foldsIpv4MappedAddressesAndKeepsIpv6() throws Exception {
    List<Parsed> rows = parse(Captured.TCP6, true);
    assertEquals(5, rows.size());
    assertEquals("[0:0:0:0:0:0:0:0]:9090", rows.get(0).local());
    assertEquals(
        new Parsed("127.0.0.1:33444", "127.0.0.1:9090", TcpState.ESTABLISHED, 38413135L),
        rows.get(1));
    assertEquals(
        new Parsed(
            "[0:0:0:0:0:0:0:1]:37570", "[0:0:0:0:0:0:0:1]:9090", TcpState.ESTABLISHED, 38413133L),
        rows.get(4));
  }

  @Test
  void survivesTinyReadsAndSkipsMalformedRows() throws Exception {
    String text = Captured.TCP + "   9: garbage\n";
    List<Parsed> rows = new ArrayList<>();
    TcpTable table = new TcpTable();
    // A stream that returns one byte per read: line assembly across reads must hold.
    ByteArrayInputStream slow =
        new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 1));
          }
        };
    table.parse(slow, false, r -> rows.add(new Parsed("", "", r.state, r.inode)));
    assertEquals(4, rows.size());
    assertEquals(1, table.malformed());
  }

  @Test
  void readsThisNamespacesTable() {
    TcpTable table = new TcpTable();
    int[] n = new int[1];
    assertTrue(table.readProc("/proc/self", r -> n[0]++), "/proc/self/net/tcp readable");
    assertEquals(table.rows(), n[0]);
    assertEquals(0, table.malformed());
  }
}
