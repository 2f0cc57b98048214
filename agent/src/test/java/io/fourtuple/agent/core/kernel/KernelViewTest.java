package io.fourtuple.agent.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KernelViewTest {
  static final Endpoint HTTP = Endpoint.of(new InetSocketAddress("127.0.0.1", 8080));
  static final Endpoint V6 = Endpoint.of(new InetSocketAddress("::1", 9090));
  static final Endpoint MAPPED = Endpoint.of(new InetSocketAddress("127.0.0.1", 9090));

  static KernelView view(PortRange range, OwnSockets own, Set<Endpoint> only) {
    return KernelView.builder(range, own, only)
        .table(Captured.TCP, false)
        .table(Captured.TCP6, true)
        .build();
  }

  @Test
  void perDestinationStatesAndOwners() {
    KernelView v = view(PortRange.parse("32768 60999", ""), OwnSockets.of(Captured.OWN), null);
    assertEquals(9, v.rows());
    KernelView.DestinationTable http = v.destination(HTTP);
    assertEquals(1, http.state(TcpState.ESTABLISHED));
    assertEquals(1, http.state(TcpState.TIME_WAIT));
    assertEquals(1, http.own());
    assertEquals(1, http.orphans(), "TIME_WAIT has no owner");
    assertEquals(0, http.others());
    assertTrue(http.ownsPort(49606));
    assertFalse(http.ownsPort(49616));
    assertEquals(2, http.inRange());
    assertEquals(1, http.sources().size());
    assertEquals("127.0.0.1", http.sources().get(0).host());
    // The dual-stack socket to ::ffff:127.0.0.1 meets IPv4 127.0.0.1:9090.
    assertEquals(1, v.destination(MAPPED).state(TcpState.ESTABLISHED));
    assertEquals(1, v.destination(V6).state(TcpState.ESTABLISHED));
  }

  @Test
  void listenersAndPortsInUseInRange() {
    // A range that covers the listener port 8080 and 9090 and the client ports.
    KernelView v = view(PortRange.parse("8000 50000", ""), OwnSockets.of(Captured.OWN), null);
    assertEquals(2, v.state(TcpState.LISTEN));
    assertEquals(2, v.listenerPortsInRange());
    // 8080, 9090, 49606, 49616, 33444, 37570
    assertEquals(6, v.portsInUseInRange());
    assertEquals(8, v.ownSockets());
  }

  @Test
  void aPortSliceSeesItsOwnPortsAndTheNeighboursUseOfTheRest() throws Exception {
    PortRange range = PortRange.parse("8000 50000", "");
    KernelView v = view(range, null, null);
    // In use: 8080, 9090, 49606, 49616, 33444, 37570.
    assertEquals(2, v.portsInUse(33000, 40000));
    io.fourtuple.agent.core.bind.PortSlice slice =
        io.fourtuple.agent.core.bind.PortSlice.start(
            io.fourtuple.agent.core.config.ConfigParser.parse(
                "ports.slice=33000-40000", java.util.Map.of(), java.util.Map.of()),
            range,
            io.fourtuple.agent.platform.FakeSocketOptions.available());
    assertEquals(
        "2 of its 7001 ports in use; 4 of the other 35000 ports of 8000-50000 in use outside the"
            + " slice (neighbours' sockets, TIME_WAIT included)",
        slice.use(v, range));
  }

  @Test
  void otherProcessesSocketsAreNotOwn() {
    KernelView v = view(PortRange.parse("32768 60999", ""), OwnSockets.of(38412899L), null);
    KernelView.DestinationTable http = v.destination(HTTP);
    assertEquals(0, http.own());
    assertEquals(1, http.others());
    assertEquals(1, http.orphans());
  }

  @Test
  void aRowListedTwiceIsCountedOnce() {
    // /proc/net/tcp is produced a page at a time; with sockets churning a row can repeat.
    String line = Captured.TCP.split("\n")[2] + "\n";
    KernelView v =
        KernelView.builder(PortRange.parse("32768 60999", ""), null, null)
            .table(Captured.TCP + line, false)
            .build();
    assertEquals(1, v.destination(HTTP).state(TcpState.ESTABLISHED));
  }

  @Test
  void onlyTheAskedDestinationsAreSummed() {
    KernelView v = view(PortRange.parse("32768 60999", ""), null, Set.of(HTTP));
    assertEquals(1, v.destinations().size());
    assertNull(v.destination(V6));
    assertEquals(-1, v.ownSockets());
    assertFalse(v.ownKnown());
  }

  @Test
  void readsTheLiveTableWithOwnInodes() throws Exception {
    try (java.net.ServerSocket listener =
            new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress());
        java.net.Socket client =
            new java.net.Socket(
                java.net.InetAddress.getLoopbackAddress(), listener.getLocalPort());
        java.net.Socket peer = listener.accept()) {
      Endpoint to =
          Endpoint.of(
              new InetSocketAddress(
                  java.net.InetAddress.getLoopbackAddress(), listener.getLocalPort()));
      KernelView v =
          KernelView.read(new TcpTable(), PortRange.current(), OwnSockets.current(), Set.of(to));
      assertTrue(v.available());
      KernelView.DestinationTable t = v.destination(to);
      assertEquals(1, t.own());
      assertEquals(1, t.state(TcpState.ESTABLISHED));
      assertTrue(t.ownsPort(client.getLocalPort()));
    }
  }
}
