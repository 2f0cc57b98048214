package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.ledger.PortLedger;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.platform.FakeSocketOptions;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;
import shaded.io.netty.channel.epoll.AbstractEpollStreamChannel;
import shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import shaded.io.netty.channel.epoll.EpollSocketChannel;
import shaded.io.netty.channel.uring.IoUringDomainSocketChannel;
import shaded.io.netty.channel.uring.IoUringSocketChannel;

/**
 * The Netty epoll decisions of {@link SocketEventHandler}, with stand-ins for a relocated Netty's
 * classes (only their names and hierarchy matter). Whether the option really reaches a Netty socket
 * is proven by NettyEpollTest in child JVMs; here no descriptor is readable, so an enforce-mode
 * rewrite shows as FAILED, never as a call with a null descriptor.
 */
class NettyEventsTest {
  private static final InetSocketAddress PORT_ZERO =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private final List<Finding> findings = new ArrayList<>();
  private final Reporter reporter = new Reporter(NOPLogger.NOP_LOGGER, findings::add);
  private final AgentStats stats = new AgentStats();
  private final FakeSocketOptions options = FakeSocketOptions.available();

  private SocketEventHandler handler(String args) throws Exception {
    return new SocketEventHandler(
        ConfigParser.parse(args, Map.of(), Map.of()), options, stats, reporter);
  }

  @Test
  void serverDatagramAndDomainChannelsAreNeverTouchedNorCounted() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.bind(
        Api.NETTY_EPOLL, new EpollServerSocketChannel(), new Object(), PORT_ZERO, 0, false);
    handler.bind(
        Api.NETTY_EPOLL, new EpollDomainSocketChannel(), new Object(), PORT_ZERO, 0, false);
    handler.bind(Api.NETTY_EPOLL, new Object(), new Object(), PORT_ZERO, 0, false);
    for (BindOutcome o : BindOutcome.values()) {
      assertEquals(0, stats.binds(Api.NETTY_EPOLL, o), o.name());
    }
    assertTrue(options.attempts.isEmpty());
  }

  @Test
  void clientBindsAreDecidedByThePolicy() throws Exception {
    handler("mode=audit")
        .bind(Api.NETTY_EPOLL, new EpollSocketChannel(), new Object(), PORT_ZERO, 0, false);
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.WOULD_APPLY));
    SocketEventHandler enforce = handler(null);
    enforce.bind(
        Api.NETTY_EPOLL,
        new EpollSocketChannel(),
        new Object(),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000),
        0,
        false);
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.EXPLICIT_PORT));
    // No readable descriptor (not a Netty socket): reported as a failure, the option never
    // attempted.
    enforce.bind(Api.NETTY_EPOLL, new EpollSocketChannel(), new Object(), PORT_ZERO, 0, false);
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.FAILED));
    assertTrue(options.attempts.isEmpty());
  }

  @Test
  void aConnectWithoutLocalAddressGetsThePortSliceAndIsNotCountedAsABind() throws Exception {
    io.fourtuple.agent.core.config.AgentConfig config =
        ConfigParser.parse("ports.slice=40000-40019", Map.of(), Map.of());
    io.fourtuple.agent.core.bind.PortSlice slice =
        io.fourtuple.agent.core.bind.PortSlice.start(
            config, io.fourtuple.agent.core.kernel.PortRange.parse("40000 40039", ""), options);
    SocketEventHandler handler =
        new SocketEventHandler(
            config,
            options,
            stats,
            reporter,
            config.ledger().newRecords(),
            config.newCallSites(),
            null,
            null,
            slice);
    options.nettyFd = new java.io.FileDescriptor();
    options.ranged.clear();
    // doConnect(remote, null) of a client, then of a server channel (never touched).
    handler.bind(Api.NETTY_EPOLL, new EpollSocketChannel(), new Object(), null, 0, false);
    handler.bind(Api.NETTY_EPOLL, new EpollServerSocketChannel(), new Object(), null, 0, false);
    assertEquals(List.of(options.nettyFd), options.ranged);
    // doConnect(remote, local port 0): the bind, NO_PORT and the slice.
    handler.bind(Api.NETTY_EPOLL, new EpollSocketChannel(), new Object(), PORT_ZERO, 0, false);
    assertEquals(2, options.ranged.size());
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.APPLIED));
  }

  @Test
  void aSocketWithNettysOwnOptionIsLeftAloneWithTheValueItChose() throws Exception {
    SocketEventHandler handler = handler(null);
    Object on = new Object();
    Object off = new Object();
    int netty = SocketHooks.API_NETTY_EPOLL;
    String name = SocketHooks.NETTY_OWN_NO_PORT;
    assertNull(handler.on(SocketHooks.SET_OPTION, netty, on, name, true, null, 0, false));
    assertNull(handler.on(SocketHooks.SET_OPTION, netty, off, name, false, null, 0, false));
    handler.bind(Api.NETTY_EPOLL, new EpollSocketChannel(), on, PORT_ZERO, 0, false);
    handler.bind(Api.NETTY_EPOLL, new EpollSocketChannel(), off, PORT_ZERO, 0, false);
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.OWN_OPTION_ON));
    assertEquals(1, stats.binds(Api.NETTY_EPOLL, BindOutcome.OWN_OPTION_OFF));
    assertTrue(options.attempts.isEmpty());
  }

  /**
   * The channel's hooks and its socket's hooks (SO_LINGER, close) meet in one record, keyed by the
   * channel's LinuxSocket: the close ends the ledger's part and times the linger close.
   */
  @Test
  void aChannelAndItsSocketShareOneRecord() throws Exception {
    PortLedger ledger = new PortLedger(10, 10, 10);
    SocketEventHandler handler =
        new SocketEventHandler(
            ConfigParser.parse("linger.blocked.millis=0", Map.of(), Map.of()),
            options,
            stats,
            reporter,
            ledger,
            null);
    EpollSocketChannel channel = new EpollSocketChannel();
    Object socket = socketOf(channel);
    int netty = SocketHooks.API_NETTY_EPOLL;
    handler.bind(Api.NETTY_EPOLL, channel, socket, PORT_ZERO, 0, false);
    handler.on(SocketHooks.SET_SO_LINGER, netty, socket, null, null, null, 5, true);
    InetSocketAddress remote = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    handler.connected(Api.NETTY_EPOLL, channel, remote, PORT_ZERO, 0, true);
    assertEquals(1, ledger.records().size());
    assertEquals(1, ledger.followedSockets());
    assertEquals(1, ledger.destinations().get(0).live());
    handler.on(SocketHooks.CLOSING, netty, channel, null, null, null, 0, false);
    handler.on(SocketHooks.LINGER_CLOSING, netty, socket, null, null, null, 0, false);
    assertEquals(1, ledger.records().size(), "kept until the linger close returns");
    handler.on(SocketHooks.LINGER_CLOSED, netty, socket, null, null, null, 0, false);
    assertEquals(0, ledger.records().size());
    assertEquals(0, ledger.followedSockets());
    assertEquals(0, ledger.destinations().get(0).live());
    assertEquals(1, handler.linger().closesBlocked());
  }

  private static Object socketOf(Object channel) throws Exception {
    java.lang.reflect.Field f = AbstractEpollStreamChannel.class.getDeclaredField("socket");
    f.setAccessible(true);
    return f.get(channel);
  }

  @Test
  void aFailedDoConnectIsABindFailureWhenNettysBindFailed() throws Exception {
    SocketEventHandler handler = handler(null);
    Object channel = new EpollSocketChannel();
    InetSocketAddress remote = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    handler.connectOutcome(
        Api.NETTY_EPOLL,
        channel,
        remote,
        PORT_ZERO,
        new IOException("bind(..) failed with error(-98): Address already in use"));
    handler.connectOutcome(
        Api.NETTY_EPOLL,
        channel,
        remote,
        PORT_ZERO,
        new IOException("connect(..) failed with error(-99): Cannot assign requested address"));
    assertEquals(1, stats.bindFailures(Api.NETTY_EPOLL, ConnectFailure.ADDRESS_IN_USE));
    assertEquals(1, stats.connectFailures(Api.NETTY_EPOLL, ConnectFailure.ADDRESS_NOT_AVAILABLE));
  }

  /**
   * io_uring: its client class (not its domain channel, which shares the stream superclass) is a
   * TCP client; a connect completes before Netty caches the channel's addresses, so the destination
   * is the pending connect's and the local address the socket's own; its SO_LINGER sets arrive
   * through the shared unix.Socket hook as epoll's and are reported as io_uring's.
   */
  @Test
  void ioUringChannelsAreClientsConnectsAreCountedAndLingerIsTheirs() throws Exception {
    PortLedger ledger = new PortLedger(10, 10, 10);
    SocketEventHandler handler =
        new SocketEventHandler(
            ConfigParser.parse("linger.policy=fix", Map.of(), Map.of()),
            options,
            stats,
            reporter,
            ledger,
            null);
    handler.bind(
        Api.NETTY_IO_URING, new IoUringDomainSocketChannel(), new Object(), PORT_ZERO, 0, false);
    assertEquals(0, stats.binds(Api.NETTY_IO_URING, BindOutcome.FAILED));
    IoUringSocketChannel channel = new IoUringSocketChannel();
    java.lang.reflect.Field socketField =
        channel.getClass().getSuperclass().getDeclaredField("socket");
    socketField.setAccessible(true);
    Object socket = socketField.get(channel);
    handler.bind(Api.NETTY_IO_URING, channel, socket, PORT_ZERO, 0, false);
    // No readable descriptor (a stand-in): counted as a failure, the option never attempted.
    assertEquals(1, stats.binds(Api.NETTY_IO_URING, BindOutcome.FAILED));

    java.lang.reflect.Field requested =
        channel.getClass().getSuperclass().getDeclaredField("requestedRemoteAddress");
    requested.setAccessible(true);
    InetSocketAddress remote = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    requested.set(channel, remote);
    int uring = SocketHooks.API_NETTY_IO_URING;
    handler.on(SocketHooks.FINISH_CONNECT, uring, channel, null, null, null, 0, true);
    assertEquals(1, stats.connected(Api.NETTY_IO_URING));
    assertEquals(1, ledger.destinations().get(0).live());
    assertEquals("127.0.0.1:8080", ledger.destinations().get(0).label());
    // The local address is the socket's own (the stand-in's port 60001), not the channel's.
    assertEquals(List.of("127.0.0.1"), ledger.destinations().get(0).sources());

    handler.on(
        SocketHooks.CONNECT_OUTCOME,
        uring,
        new IoUringSocketChannel(),
        remote,
        null,
        new IOException(
            "io_uring connect(..) failed with error(-99): Cannot assign requested address"),
        0,
        false);
    assertEquals(
        1, stats.connectFailures(Api.NETTY_IO_URING, ConnectFailure.ADDRESS_NOT_AVAILABLE));

    // 1000 through Netty's setSoLinger(int), fixed: -1 (off) goes back into the argument.
    Object fixed =
        handler.on(
            SocketHooks.SET_SO_LINGER,
            SocketHooks.API_NETTY_EPOLL,
            socket,
            null,
            null,
            null,
            1000,
            true);
    assertEquals(Long.valueOf(0xFFFFFFFFL), fixed);
    reporter.flush();
    assertTrue(
        findings.stream()
            .anyMatch(f -> f.kind == Finding.Kind.LINGER_SET && f.api == Api.NETTY_IO_URING),
        findings::toString);
  }
}
