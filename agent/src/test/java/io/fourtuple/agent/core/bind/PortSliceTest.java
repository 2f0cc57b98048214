package io.fourtuple.agent.core.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.ConfigException;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.platform.FakeSocketOptions;
import java.io.FileDescriptor;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortSliceTest {
  private static final PortRange RANGE = PortRange.parse("40000 40039", "");
  private final FakeSocketOptions options = FakeSocketOptions.available();

  private static AgentConfig config(String args) throws ConfigException {
    return ConfigParser.parse(args, Map.of(), Map.of());
  }

  private PortSlice slice(String args) throws ConfigException {
    return PortSlice.start(config(args), RANGE, options);
  }

  @Test
  void theValueIsHighShiftedOverLowAsTheKernelReadsIt() {
    // strace of the research probe: setsockopt(.., SOL_IP, 0x33, [-1672242102]) for 40010-40019.
    assertEquals(-1672242102, PortSlice.value(40010, 40019));
    assertEquals(0x9C539C4A, PortSlice.value(40010, 40019));
  }

  @Test
  void noneIsTheDefaultAndTouchesNothing() throws Exception {
    assertSame(PortSlice.NONE, slice(null));
    assertSame(PortSlice.NONE, PortSlice.start(config("ports.slice=none"), options));
    assertTrue(options.ranges.isEmpty());
    assertFalse(PortSlice.NONE.active());
    assertNull(PortSlice.NONE.apply(new FileDescriptor()));
  }

  @Test
  void theConfigParsesTheSliceOnceIntoARange() throws Exception {
    assertNull(config(null).portSlice());
    assertNull(config("ports.slice=NONE").portSlice());
    AgentConfig config = config("ports.slice= 040000 - 40019 ");
    assertEquals("40000-40019", config.value(Setting.PORTS_SLICE));
    assertEquals("40000-40019 (20 ports)", config.portSlice().toString());
    assertEquals(0, config.portSlice().reservedInRange());
  }

  @Test
  void badSyntaxAndLowAboveHighAreRejectedByTheParserWithOneLine() {
    for (String bad :
        List.of("40000", "40000-", "a-b", "40019-40010", "0-10", "1-65536", "1-2-3")) {
      ConfigException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              ConfigException.class, () -> config("ports.slice=" + bad), bad);
      assertTrue(
          e.getMessage().contains("fourtuple.ports.slice")
              || e.getMessage().contains("ports.slice"),
          e.getMessage());
      assertTrue(e.getMessage().contains("LOW-HIGH"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void aSliceInsideTheRangeIsProbedOnceAndAppliedToEverySocket() throws Exception {
    PortSlice slice = slice("ports.slice= 40000 - 40019 ");
    assertTrue(slice.active());
    assertNull(slice.problem());
    assertEquals(List.of(PortSlice.value(40000, 40019)), options.ranges); // the start probe
    FileDescriptor fd = new FileDescriptor();
    assertNull(slice.apply(fd));
    assertSame(fd, options.ranged.get(1));
    assertEquals(1, slice.appliedCount());
    assertEquals("40000-40019 (20 ports)", slice.narrow(RANGE).toString());
    assertTrue(slice.describe().startsWith("40000-40019 (20 ports)"), slice.describe());
  }

  @Test
  void aSliceOutsideTheNamespaceRangeIsRefusedWithOneLine() throws Exception {
    PortSlice slice = slice("ports.slice=50000-50009");
    assertFalse(slice.active());
    assertTrue(options.ranges.isEmpty(), "nothing reaches a socket");
    assertEquals(
        "fourtuple.ports.slice=50000-50009 (agent argument) not applied: it lies outside this"
            + " network namespace's ephemeral range 40000-40039 (40 ports)"
            + " (net.ipv4.ip_local_port_range), where the kernel would silently ignore it; every"
            + " socket draws from the whole range",
        slice.problem());
    assertNull(slice.apply(new FileDescriptor()));
    assertSame(RANGE, slice.narrow(RANGE));
  }

  @Test
  void aSlicePartlyOutsideIsRefusedNotNarrowed() throws Exception {
    PortSlice slice = slice("ports.slice=40030-40060");
    assertFalse(slice.active());
    assertTrue(slice.problem().contains("partly outside"), slice.problem());
    assertTrue(slice.problem().contains("silently narrow it to 40030-40039"), slice.problem());
  }

  @Test
  void anOldKernelOrAMismatchedReadBackLeavesTheSliceOff() throws Exception {
    options.failNextWith(new SocketException("Protocol not available"));
    PortSlice old = slice("ports.slice=40000-40019");
    assertFalse(old.active());
    assertTrue(
        old.problem()
            .contains("lacks IP_LOCAL_PORT_RANGE (Protocol not available; it needs Linux 6.3+)"),
        old.problem());

    options.kept = 0;
    PortSlice ignored = slice("ports.slice=40000-40019");
    assertFalse(ignored.active());
    assertTrue(
        ignored.problem().contains("the kernel kept 0-0 on a test socket"), ignored.problem());

    PortSlice none = PortSlice.start(config("ports.slice=40000-40019"), null, options);
    assertTrue(none.problem().contains("ip_local_port_range cannot be read"), none.problem());
  }

  @Test
  void auditModeAndAnUnavailableMechanismApplyNothing() throws Exception {
    assertTrue(slice("mode=audit,ports.slice=40000-40019").problem().contains("audit mode"));
    PortSlice unavailable =
        PortSlice.start(config("ports.slice=40000-40019"), RANGE, FakeSocketOptions.unavailable());
    assertTrue(unavailable.problem().contains("fake: unavailable"), unavailable.problem());
  }

  @Test
  void theKernelRefusingLaterTurnsTheSliceOffAndIsReportedOnce() throws Exception {
    PortSlice slice = slice("ports.slice=40000-40019");
    options.failNextWith(new SocketException("Bad file descriptor"));
    assertNull(slice.apply(new FileDescriptor()), "a socket closed under us: nothing to say");
    options.failNextWith(new SocketException("Protocol not available"));
    assertTrue(slice.apply(new FileDescriptor()) instanceof SocketException);
    assertFalse(slice.active());
    assertNull(slice.apply(new FileDescriptor()));
    assertTrue(slice.describe().contains("refused by the kernel"), slice.describe());
  }
}
