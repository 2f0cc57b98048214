package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
      handler.beforeSocketBind(new Object(), fd, ip("10.1.2.3"), 0, false);
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
  void serverAndExplicitPortBindsAreCountedButNotReported() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("0.0.0.0"), 0, true);
    handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("10.1.2.3"), 45000, false);
    assertTrue(options.attempts.isEmpty());
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.SERVER_SOCKET));
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.EXPLICIT_PORT));
    assertTrue(drain().isEmpty());
  }

  @Test
  void auditModeReportsWhatWouldApply() throws Exception {
    SocketEventHandler handler = handler("mode=audit");
    handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
    assertTrue(options.attempts.isEmpty());
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(BindOutcome.WOULD_APPLY, out.get(0).detail);
  }

  @Test
  void channelBindToNullIsTheWildcardAtPortZero() throws Exception {
    SocketEventHandler handler = handler(null);
    FileDescriptor fd = new FileDescriptor();
    handler.beforeChannelBind(new Object(), fd, null, null);
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
    int async = SocketHooks.API_ASYNC_SOCKET_CHANNEL;
    handler.beforeChannelBind(
        async, new Object(), fd, new InetSocketAddress(ip("192.0.2.7"), 0), null);
    handler.beforeChannelBind(
        async,
        new Object(),
        new FileDescriptor(),
        new InetSocketAddress(ip("192.0.2.7"), 0),
        new InetSocketAddress(ip("192.0.2.7"), 41000));
    assertEquals(List.of(fd), options.applied, "an already-bound channel is left alone");
    assertEquals(1, stats.binds(Api.ASYNC_SOCKET_CHANNEL, BindOutcome.APPLIED));
    assertEquals(1, stats.binds(Api.ASYNC_SOCKET_CHANNEL, BindOutcome.ALREADY_BOUND));
    assertEquals(0, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.APPLIED));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Api.ASYNC_SOCKET_CHANNEL, out.get(0).api);
    assertEquals("java.nio.channels.AsynchronousSocketChannel", out.get(0).api.toString());
  }

  @Test
  void asynchronousConnectsPendingThenCompletedOrFailed() throws Exception {
    SocketEventHandler handler = handler(null);
    int async = SocketHooks.API_ASYNC_SOCKET_CHANNEL;
    Object channel = new Object();
    handler.afterConnect(async, channel, REMOTE, null, false, null);
    handler.afterConnect(async, channel, REMOTE, new InetSocketAddress(60000), true, null);
    handler.afterConnect(
        async,
        new Object(),
        REMOTE,
        null,
        true,
        new BindException("Cannot assign requested address"));
    assertEquals(1, stats.connected(Api.ASYNC_SOCKET_CHANNEL));
    assertEquals(
        1, stats.connectFailures(Api.ASYNC_SOCKET_CHANNEL, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(0, stats.connected(Api.SOCKET_CHANNEL));
  }

  @Test
  void channelBindToAnInetAddress() throws Exception {
    SocketEventHandler handler = handler(null);
    FileDescriptor fd = new FileDescriptor();
    handler.beforeChannelBind(new Object(), fd, new InetSocketAddress(ip("192.0.2.7"), 0), null);
    handler.beforeChannelBind(
        new Object(), new FileDescriptor(), new InetSocketAddress(ip("192.0.2.7"), 40000), null);
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
    handler.beforeChannelBind(
        new Object(),
        new FileDescriptor(),
        InetSocketAddress.createUnresolved("host.invalid", 0),
        null);
    assertTrue(options.attempts.isEmpty());
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.NOT_INET));
    assertTrue(drain().isEmpty());
  }

  @Test
  void channelBoundAlreadyIsLeftAlone() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.beforeChannelBind(
        new Object(),
        new FileDescriptor(),
        null,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 41000));
    handler.beforeChannelBind(
        new Object(),
        new FileDescriptor(),
        new InetSocketAddress(ip("10.0.0.1"), 0),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 41000));
    assertTrue(options.attempts.isEmpty());
    assertEquals(2, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.ALREADY_BOUND));
    assertTrue(drain().isEmpty());
  }

  @Test
  void connectFailureIsCountedAndReportedOnce() throws Exception {
    SocketEventHandler handler = handler(null);
    BindException first = new BindException("Cannot assign requested address");
    handler.afterConnect(SocketHooks.API_SOCKET, new Object(), REMOTE, null, true, first);
    handler.afterConnect(
        SocketHooks.API_SOCKET,
        new Object(),
        REMOTE,
        null,
        true,
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
    handler.afterConnect(
        SocketHooks.API_SOCKET_CHANNEL,
        new Object(),
        REMOTE,
        null,
        true,
        new ConnectException("Connection refused"));
    handler.afterConnect(
        SocketHooks.API_SOCKET_CHANNEL,
        new Object(),
        REMOTE,
        null,
        true,
        new BindException("Cannot assign requested address"));
    assertEquals(1, stats.connectFailures(Api.SOCKET_CHANNEL, ConnectFailure.REFUSED));
    assertEquals(
        1, stats.connectFailures(Api.SOCKET_CHANNEL, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertEquals(2, drain().size());
  }

  @Test
  void completedAndInProgressConnectsAreCounted() throws Exception {
    SocketEventHandler handler = handler(null);
    handler.afterConnect(SocketHooks.API_SOCKET, new Object(), REMOTE, 50000, true, null);
    handler.afterConnect(SocketHooks.API_SOCKET_CHANNEL, new Object(), REMOTE, null, false, null);
    handler.afterConnect(SocketHooks.API_SOCKET_CHANNEL, new Object(), REMOTE, null, false, null);
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
      handler.afterBindFailure(
          SocketHooks.API_SOCKET,
          new Object(),
          new InetSocketAddress(ip("10.1.2.3"), 0),
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
    handler.afterBindFailure(
        SocketHooks.API_SOCKET,
        new Object(),
        new InetSocketAddress(ip("192.0.2.1"), 0),
        new BindException("Cannot assign requested address"));
    handler.afterConnect(
        SocketHooks.API_SOCKET,
        new Object(),
        REMOTE,
        null,
        true,
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
      handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
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
      handler.beforeSocketBind(new Object(), new FileDescriptor(), ip("10.1.2.3"), 0, false);
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
}
