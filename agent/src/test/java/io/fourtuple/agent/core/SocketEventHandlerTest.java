package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.platform.FakeSocketOptions;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.FileDescriptor;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

class SocketEventHandlerTest {
  private static final InetSocketAddress REMOTE =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

  private final List<Finding> findings = new ArrayList<>();
  private final Reporter reporter = new Reporter(NOPLogger.NOP_LOGGER, findings::add);
  private final AgentStats stats = new AgentStats();
  private FakeSocketOptions options = FakeSocketOptions.available();

  private SocketEventHandler handler(String args) throws Exception {
    return new SocketEventHandler(
        ConfigParser.parse(args, Map.of(), Map.of()), options, stats, reporter);
  }

  /** What the reporter thread would have written, in order. */
  private List<Finding> drain() {
    reporter.flush();
    List<Finding> out = new ArrayList<>(findings);
    findings.clear();
    return out;
  }

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void clientSocketBindToPortZeroIsRewrittenAndReportedOnce() throws Exception {
    SocketEventHandler handler = handler(null);
    List<FileDescriptor> fds =
        List.of(new FileDescriptor(), new FileDescriptor(), new FileDescriptor());
    for (FileDescriptor fd : fds) {
      handler.bind(Api.SOCKET, new Object(), fd, ip("10.1.2.3"), 0, false);
    }
    assertEquals(fds, options.applied);
    assertEquals(3, stats.binds(Api.SOCKET, BindOutcome.APPLIED));

    List<Finding> out = drain();
    assertEquals(1, out.size());
    Finding f = out.get(0);
    assertEquals(Finding.Kind.FIRST_BIND, f.kind);
    assertEquals(Api.SOCKET, f.api);
    assertEquals(BindOutcome.APPLIED, f.detail);
    assertEquals("10.1.2.3:0", f.target);
    assertEquals(Thread.currentThread().getName(), f.thread);
    assertNotNull(f.stack);
    assertNotNull(f.callSite());
  }

  @Test
  void thePortSliceIsSetBeforeConnectsWithoutBindAndClientBindsToPortZeroOnly() throws Exception {
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
    options.ranged.clear();
    FileDescriptor connect = new FileDescriptor();
    FileDescriptor bindZero = new FileDescriptor();
    handler.on(
        SocketHooks.BEFORE_CONNECT,
        SocketHooks.API_SOCKET_CHANNEL,
        new Object(),
        connect,
        null,
        null,
        0,
        false);
    handler.bind(Api.SOCKET, new Object(), bindZero, ip("10.1.2.3"), 0, false);
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 8080, false);
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, true);
    assertEquals(List.of(connect, bindZero), options.ranged);
    assertEquals(List.of(bindZero), options.applied); // NO_PORT as before
    assertEquals(2, slice.appliedCount());
  }

  @Test
  void serverAndExplicitPortBindsAreCountedButNotReported() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("0.0.0.0"), 0, true);
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 45000, false);
    assertTrue(options.attempts.isEmpty());
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.SERVER_SOCKET));
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.EXPLICIT_PORT));
    assertTrue(drain().isEmpty());
  }

  @Test
  void auditModeReportsWhatWouldApply() throws Exception {
    SocketEventHandler handler = handler("mode=audit");
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    assertTrue(options.attempts.isEmpty());
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(BindOutcome.WOULD_APPLY, out.get(0).detail);
  }

  @Test
  void channelBindToNullIsTheWildcardAtPortZero() throws Exception {
    SocketEventHandler handler = handler(null);
    FileDescriptor fd = new FileDescriptor();
    handler.bind(Api.SOCKET_CHANNEL, new Object(), fd, null, 0, false);
    assertEquals(List.of(fd), options.applied);
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.APPLIED));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Finding.Kind.FIRST_BIND, out.get(0).kind);
    assertEquals(Api.SOCKET_CHANNEL, out.get(0).api);
    assertEquals("*:0", out.get(0).target);
  }

  @Test
  void asynchronousChannelBindsAreTheirOwnApi() throws Exception {
    SocketEventHandler handler = handler(null);
    FileDescriptor fd = new FileDescriptor();
    handler.bind(
        Api.ASYNC_SOCKET_CHANNEL,
        new Object(),
        fd,
        new InetSocketAddress(ip("192.0.2.7"), 0),
        0,
        false);
    assertEquals(List.of(fd), options.applied);
    assertEquals(1, stats.binds(Api.ASYNC_SOCKET_CHANNEL, BindOutcome.APPLIED));
    assertEquals(0, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.APPLIED));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Api.ASYNC_SOCKET_CHANNEL, out.get(0).api);
    assertEquals("java.nio.channels.AsynchronousSocketChannel", out.get(0).api.toString());
  }

  @Test
  void asynchronousConnectsPendingThenCompletedOrFailed() throws Exception {
    SocketEventHandler handler = handler(null);
    Api async = Api.ASYNC_SOCKET_CHANNEL;
    Object channel = new Object();
    handler.connected(async, channel, REMOTE, null, 0, false);
    handler.connected(async, channel, REMOTE, new InetSocketAddress(60000), 0, true);
    handler.connectOutcome(
        async, new Object(), REMOTE, null, new BindException("Cannot assign requested address"));
    assertEquals(1, stats.connected(Api.ASYNC_SOCKET_CHANNEL));
    assertEquals(
        1, stats.connectFailures(Api.ASYNC_SOCKET_CHANNEL, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(0, stats.connected(Api.SOCKET_CHANNEL));
  }

  @Test
  void channelBindToAnInetAddress() throws Exception {
    SocketEventHandler handler = handler(null);
    FileDescriptor fd = new FileDescriptor();
    handler.bind(
        Api.SOCKET_CHANNEL, new Object(), fd, new InetSocketAddress(ip("192.0.2.7"), 0), 0, false);
    handler.bind(
        Api.SOCKET_CHANNEL,
        new Object(),
        new FileDescriptor(),
        new InetSocketAddress(ip("192.0.2.7"), 40000),
        0,
        false);
    assertEquals(List.of(fd), options.applied);
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.APPLIED));
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.EXPLICIT_PORT));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals("192.0.2.7:0", out.get(0).target);
  }

  @Test
  void channelBindToAnUnresolvedAddressIsNotInet() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.bind(
        Api.SOCKET_CHANNEL,
        new Object(),
        new FileDescriptor(),
        InetSocketAddress.createUnresolved("host.invalid", 0),
        0,
        false);
    assertTrue(options.attempts.isEmpty());
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.NOT_INET));
    assertTrue(drain().isEmpty());
  }

  @Test
  void connectFailureIsCountedAndReportedOnce() throws Exception {
    SocketEventHandler handler = handler(null);
    BindException first = new BindException("Cannot assign requested address");
    handler.connectOutcome(Api.SOCKET, new Object(), REMOTE, null, first);
    handler.connectOutcome(
        Api.SOCKET,
        new Object(),
        REMOTE,
        null,
        new BindException("Cannot assign requested address"));

    assertEquals(2, stats.connectFailures(Api.SOCKET, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(0, stats.connected(Api.SOCKET));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    Finding f = out.get(0);
    assertEquals(Finding.Kind.CONNECT_FAILURE, f.kind);
    assertEquals(Api.SOCKET, f.api);
    assertSame(first, f.detail);
    assertEquals(String.valueOf(REMOTE), f.target);
  }

  @Test
  void differentConnectFailuresAreEachReported() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.connectOutcome(
        Api.SOCKET_CHANNEL, new Object(), REMOTE, null, new ConnectException("Connection refused"));
    handler.connectOutcome(
        Api.SOCKET_CHANNEL,
        new Object(),
        REMOTE,
        null,
        new BindException("Cannot assign requested address"));
    assertEquals(1, stats.connectFailures(Api.SOCKET_CHANNEL, ConnectFailure.REFUSED));
    assertEquals(
        1, stats.connectFailures(Api.SOCKET_CHANNEL, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(2, drain().size());
  }

  @Test
  void completedAndInProgressConnectsAreCounted() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.connected(Api.SOCKET, new Object(), REMOTE, null, 50000, true);
    handler.connected(Api.SOCKET_CHANNEL, new Object(), REMOTE, null, 0, false);
    handler.connected(Api.SOCKET_CHANNEL, new Object(), REMOTE, null, 0, false);
    assertEquals(1, stats.connected(Api.SOCKET));
    assertEquals(0, stats.connected(Api.SOCKET_CHANNEL));
    assertTrue(
        stats.describe().contains("connects 0 ok, 2 started non-blocking"), stats.describe());
    assertTrue(drain().isEmpty());
  }

  @Test
  void bindFailureIsReportedOnce() throws Exception {
    SocketEventHandler handler = handler(null);
    for (int i = 0; i < 3; i++) {
      handler.bindFailed(
          Api.SOCKET,
          new Object(),
          new InetSocketAddress(ip("10.1.2.3"), 0),
          0,
          new BindException("Address already in use"));
    }
    assertEquals(3, stats.bindFailures(Api.SOCKET, ConnectFailure.ADDRESS_IN_USE));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Finding.Kind.BIND_FAILURE, out.get(0).kind);
    assertEquals("/10.1.2.3:0", out.get(0).target);
  }

  /**
   * The first EADDRNOTAVAIL at connect is the exhaustion warning; a bind failure must not hide it.
   */
  @Test
  void connectFailureIsReportedAfterABindFailureWithTheSameErrno() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.bindFailed(
        Api.SOCKET,
        new Object(),
        new InetSocketAddress(ip("192.0.2.1"), 0),
        0,
        new BindException("Cannot assign requested address"));
    handler.connectOutcome(
        Api.SOCKET,
        new Object(),
        REMOTE,
        null,
        new BindException("Cannot assign requested address"));
    List<Finding> out = drain();
    assertEquals(2, out.size(), "findings: " + kinds(out));
    assertEquals(Finding.Kind.BIND_FAILURE, out.get(0).kind);
    assertEquals(Finding.Kind.CONNECT_FAILURE, out.get(1).kind);
  }

  private static List<Finding.Kind> kinds(List<Finding> findings) {
    List<Finding.Kind> kinds = new ArrayList<>();
    for (Finding f : findings) {
      kinds.add(f.kind);
    }
    return kinds;
  }

  @Test
  void kernelRefusalIsReportedOnceAndLaterBindsAreUnavailable() throws Exception {
    options =
        FakeSocketOptions.available().failNextWith(new SocketException("Protocol not available"));
    SocketEventHandler handler = handler(null);
    for (int i = 0; i < 3; i++) {
      handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    }
    assertEquals(1, options.attempts.size());
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.REFUSED_BY_KERNEL));
    assertEquals(2, stats.binds(Api.SOCKET, BindOutcome.UNAVAILABLE));
    List<Finding> out = drain();
    assertEquals(
        List.of(Finding.Kind.OPTION_FAILURE, Finding.Kind.FIRST_BIND, Finding.Kind.FIRST_BIND),
        kinds(out));
    assertEquals(BindOutcome.REFUSED_BY_KERNEL, out.get(0).detail);
    assertEquals(BindOutcome.REFUSED_BY_KERNEL, out.get(1).detail);
    assertEquals(BindOutcome.UNAVAILABLE, out.get(2).detail);
  }

  @Test
  void otherOptionFailuresAreReportedOnce() throws Exception {
    options =
        FakeSocketOptions.available()
            .failNextWith(new SocketException("Invalid argument"))
            .failNextWith(new SocketException("Invalid argument"));
    SocketEventHandler handler = handler(null);
    for (int i = 0; i < 3; i++) {
      handler.bind(Api.SOCKET, new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    }
    assertEquals(2, stats.binds(Api.SOCKET, BindOutcome.FAILED));
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.APPLIED));
    List<Finding> out = drain();
    assertEquals(
        List.of(Finding.Kind.OPTION_FAILURE, Finding.Kind.FIRST_BIND, Finding.Kind.FIRST_BIND),
        kinds(out));
    assertEquals(BindOutcome.FAILED, out.get(0).detail);
  }

  @Test
  void internalErrorsAreCountedAndReportedOncePerPlace() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.onInternalError("beforeSocketBind", new IllegalStateException("1"));
    handler.onInternalError("beforeSocketBind", new IllegalStateException("2"));
    handler.onInternalError("afterConnect", new IllegalStateException("3"));
    assertEquals(3, stats.internalErrors());
    List<Finding> out = drain();
    assertEquals(List.of(Finding.Kind.INTERNAL_ERROR, Finding.Kind.INTERNAL_ERROR), kinds(out));
    assertEquals("beforeSocketBind", out.get(0).detail);
    assertEquals("afterConnect", out.get(1).detail);
  }

  @Test
  void lingerValuesGoBackInTheShapeEachHookStoresThem() throws Exception {
    SocketEventHandler fix = handler("linger.policy=fix");
    int socket = SocketHooks.API_SOCKET;
    int set = SocketHooks.SET_SO_LINGER;
    // Socket.setSoLinger(true, 1000), likely milliseconds: left off, the seconds as they were.
    assertEquals(1000L, fix.on(set, socket, new Object(), null, null, null, 1000, true));
    assertEquals(
        -1,
        fix.on(
            SocketHooks.SET_OPTION,
            SocketHooks.API_SOCKET_CHANNEL,
            new Object(),
            StandardSocketOptions.SO_LINGER,
            1000,
            null,
            0,
            false));
    // Netty's setSoLinger(int): -1 is off.
    long netty =
        (Long) fix.on(set, SocketHooks.API_NETTY_EPOLL, new Object(), null, null, null, 1000, true);
    assertEquals(-1, (int) netty);
    // A value the policy keeps, and any other option, come back as null: unchanged.
    assertNull(fix.on(set, socket, new Object(), null, null, null, 0, true));
    assertNull(
        fix.on(
            SocketHooks.SET_OPTION,
            socket,
            new Object(),
            StandardSocketOptions.TCP_NODELAY,
            true,
            null,
            0,
            false));

    SocketEventHandler clamp = handler("linger.policy=clamp:5");
    assertEquals((1L << 32) | 5, clamp.on(set, socket, new Object(), null, null, null, 1000, true));
    assertEquals(
        5,
        clamp.on(
            SocketHooks.SET_OPTION,
            socket,
            new Object(),
            StandardSocketOptions.SO_LINGER,
            1000,
            null,
            0,
            false));
  }
}
