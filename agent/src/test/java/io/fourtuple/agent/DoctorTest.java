package io.fourtuple.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DoctorTest {
  @Test
  void doctorDescribesThisHostAndListsAnOpenConnection() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket listener = new ServerSocket(0, 10, loopback);
        Socket client = new Socket(loopback, listener.getLocalPort());
        Socket peer = listener.accept()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
      assertEquals(0, Main.run(new String[] {"doctor"}, out, out));
      String text = bytes.toString(StandardCharsets.UTF_8);
      for (String expected :
          new String[] {
            "kernel ",
            "IP_BIND_ADDRESS_NO_PORT ",
            "IP_LOCAL_PORT_RANGE ",
            "ephemeral range ",
            "parity ",
            "top destinations by ESTABLISHED",
            "top destinations by TIME_WAIT",
            "what it means",
            "127.0.0.1:" + listener.getLocalPort()
          }) {
        assertTrue(text.contains(expected), expected + " in\n" + text);
      }
    }
  }
}
