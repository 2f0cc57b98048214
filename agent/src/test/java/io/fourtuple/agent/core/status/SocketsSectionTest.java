package io.fourtuple.agent.core.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.kernel.OwnSockets;
import io.fourtuple.agent.core.kernel.TcpTable;
import io.fourtuple.agent.core.report.JsonWriter;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SocketsSectionTest {
  static final String HEADER =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
          + " inode\n";

  @Test
  void keepsOnlyThisProcessesRowsAndTellsOutboundFromAccepted() throws Exception {
    SocketsSection.Collector own = new SocketsSection.Collector(OwnSockets.of(12345, 777, 778));
    String v4 =
        HEADER
            // outbound 127.0.0.1:60000 -> 127.0.0.1:20000, ours
            + "   0: 0100007F:EA60 0100007F:4E20 01 00000000:00000000 00:00000000 00000000     0"
            + "        0 12345 1 0000000000000000 20 4 30 10 -1\n"
            // listed twice, as a chunked read of the table can
            + "   0: 0100007F:EA60 0100007F:4E20 01 00000000:00000000 00:00000000 00000000     0"
            + "        0 12345 1 0000000000000000 20 4 30 10 -1\n"
            // another process's socket
            + "   1: 0100007F:EA61 0100007F:4E20 01 00000000:00000000 00:00000000 00000000     0"
            + "        0 999 1 0000000000000000 20 4 30 10 -1\n";
    String v6 =
        HEADER
            // our dual-stack listener on 127.0.0.1:20000 (IPv4-mapped)
            + "   0: 0000000000000000FFFF00000100007F:4E20 00000000000000000000000000000000:0000"
            + " 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000 100 0 0 10 0\n"
            // ::1:8080 -> ::1:50000, ours
            + "   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350"
            + " 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000 100 0 0 10 0\n";
    TcpTable table = new TcpTable();
    table.parse(new ByteArrayInputStream(v4.getBytes(StandardCharsets.US_ASCII)), false, own);
    table.parse(new ByteArrayInputStream(v6.getBytes(StandardCharsets.US_ASCII)), true, own);
    assertEquals(3, own.rows.size());
    StringBuilder text = new StringBuilder();
    new SocketsSection(own.rows, null, 2).writeText(text);
    assertTrue(
        text.toString()
            .contains("now: 2 outbound to 2 destinations, 0 accepted, 1 listening; 2 TCP sockets"),
        text.toString());
    assertTrue(
        text.toString().contains("  127.0.0.1:20000: 1 established, 1 local ports, from 127.0.0.1"),
        text.toString());
    assertTrue(
        text.toString().contains("  [0:0:0:0:0:0:0:1]:50000: 1 established, 1 local ports"),
        text.toString());
  }

  @Test
  void readsThisProcessesOwnConnectionsFromTheKernel() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (ServerSocket listener = new ServerSocket(0, 50, loopback);
        Socket client = new Socket()) {
      client.connect(new InetSocketAddress(loopback, listener.getLocalPort()));
      try (Socket accepted = listener.accept()) {
        SocketsSection section = SocketsSection.read(-1);
        StringBuilder text = new StringBuilder();
        section.writeText(text);
        JsonWriter json = new JsonWriter();
        section.writeJson(json);
        String destination = "127.0.0.1:" + listener.getLocalPort();
        assertTrue(
            text.toString().contains(destination + ": 1 established, 1 local ports"),
            text.toString());
        assertTrue(text.toString().contains("1 accepted"), text.toString());
        assertTrue(
            json.toString().contains("\"destination\":\"" + destination + "\""), json.toString());
        assertTrue(SocketsSection.ownTcpSockets() >= 3);
        assertTrue(accepted.isConnected());
      }
    }
  }
}
