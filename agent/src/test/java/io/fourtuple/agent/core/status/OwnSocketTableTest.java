package io.fourtuple.agent.core.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.report.JsonWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnSocketTableTest {
  @Test
  void parsesIpv4AndIpv6LinesAsTheKernelWritesThem() throws Exception {
    List<OwnSocketTable.Entry> entries =
        OwnSocketTable.parse(
            Arrays.asList(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
                    + "  timeout inode",
                "   0: 0100007F:EA60 0100007F:4E20 01 00000000:00000000 00:00000000 00000000     0"
                    + "        0 12345 1 0000000000000000 20 4 30 10 -1",
                "   1: 0000000000000000FFFF00000100007F:4E20 00000000000000000000000000000000:0000"
                    + " 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000 100 0 0"
                    + " 10 0",
                "   2: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350"
                    + " 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000 100 0 0"
                    + " 10 0",
                "garbage"));
    assertEquals(3, entries.size());
    OwnSocketTable.Entry v4 = entries.get(0);
    assertEquals("127.0.0.1:60000", v4.local());
    assertEquals("127.0.0.1:20000", v4.remote());
    assertEquals(OwnSocketTable.ESTABLISHED, v4.state);
    assertEquals(12345, v4.inode);
    // An IPv4-mapped IPv6 address (a dual-stack JDK socket) reads as IPv4.
    assertEquals("127.0.0.1:20000", entries.get(1).local());
    assertEquals(OwnSocketTable.LISTEN, entries.get(1).state);
    assertEquals("[0:0:0:0:0:0:0:1]:8080", entries.get(2).local());
  }

  @Test
  void readsThisProcessesOwnConnectionsFromTheKernel() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (ServerSocket listener = new ServerSocket(0, 50, loopback);
        Socket client = new Socket()) {
      client.connect(new InetSocketAddress(loopback, listener.getLocalPort()));
      try (Socket accepted = listener.accept()) {
        OwnSocketTable table = OwnSocketTable.read();
        assertNull(table.problem());
        SocketsSection section = new SocketsSection(table, -1);
        StringBuilder text = new StringBuilder();
        section.writeText(text);
        String json = new JsonWriter().beginArray().toString();
        assertTrue(json.startsWith("["));
        String destination = "127.0.0.1:" + listener.getLocalPort();
        assertTrue(
            text.toString().contains(destination + ": 1 established, 1 local ports"),
            text.toString());
        assertTrue(table.listeningPorts().contains(listener.getLocalPort()));
        assertTrue(accepted.isConnected());
      }
    }
  }
}
