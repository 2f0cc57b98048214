package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CallSiteTest {
  private static final String UNKNOWN = "unknown (only JDK frames on the stack)";

  private static StackTraceElement frame(String className, String method, int line) {
    String simple = className.substring(className.lastIndexOf('.') + 1);
    return new StackTraceElement(className, method, simple + ".java", line);
  }

  @Test
  void skipsPlatformFramesAndReturnsTheFirstApplicationFrame() {
    StackTraceElement app = frame("com.example.Pool", "open", 42);
    StackTraceElement[] stack = {
      frame("io.fourtuple.agent.core.SocketEventHandler", "beforeSocketBind", 40),
      frame("io.fourtuple.bootstrap.Dispatcher", "bind", 80),
      frame("sun.nio.ch.NioSocketImpl", "bind", 600),
      frame("java.net.Socket", "bind", 700),
      frame("javax.net.ssl.SSLSocket", "bind", 1),
      frame("jdk.internal.net.http.PlainHttpConnection", "connectAsync", 2),
      frame("com.sun.net.httpserver.HttpServer", "bind", 3),
      app,
      frame("com.example.Main", "main", 10),
    };
    assertEquals(app.toString(), CallSite.of(stack));
    assertEquals("com.example.Pool.open(Pool.java:42)", CallSite.of(stack));
  }

  @Test
  void firstFrameMayBeTheApplication() {
    StackTraceElement app = frame("org.apache.http.impl.conn.Connector", "connect", 7);
    assertEquals(app.toString(), CallSite.of(new StackTraceElement[] {app}));
  }

  @Test
  void onlyPlatformFramesGiveUnknown() {
    StackTraceElement[] stack = {
      frame("java.net.Socket", "bind", 1),
      frame("sun.nio.ch.SocketChannelImpl", "bind", 2),
      frame("io.fourtuple.agent.AgentStarter", "run", 3),
    };
    assertEquals(UNKNOWN, CallSite.of(stack));
    assertEquals(UNKNOWN, CallSite.of(new StackTraceElement[0]));
  }

  @Test
  void prefixesMatchWholePackageNamesOnly() {
    assertTrue(CallSite.isPlatform("java.lang.Thread"));
    assertTrue(CallSite.isPlatform("io.fourtuple.bootstrap.Dispatcher"));
    assertFalse(CallSite.isPlatform("javafx.scene.Node"));
    assertFalse(CallSite.isPlatform("sunrise.Alarm"));
    assertFalse(CallSite.isPlatform("io.fourtuple.sample.BindBeforeConnect"));
    assertFalse(CallSite.isPlatform("com.sunny.App"));
  }

  @Test
  void nettyFramesGiveWayToTheApplicationsButNameTheSiteOnAnEventLoop() {
    StackTraceElement netty =
        new StackTraceElement("io.netty.channel.unix.Socket", "setSoLinger", "Socket.java", 1);
    StackTraceElement shaded =
        new StackTraceElement(
            "io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap", "init", "Bootstrap.java", 2);
    StackTraceElement app = new StackTraceElement("com.example.Client", "open", "Client.java", 42);
    StackTraceElement jdk = new StackTraceElement("java.lang.Thread", "run", "Thread.java", 3);
    assertEquals(app.toString(), CallSite.of(new StackTraceElement[] {netty, shaded, app, jdk}));
    assertEquals(
        "made on epollEventLoopGroup by " + netty,
        CallSite.of(new StackTraceElement[] {netty, shaded, jdk}, "epollEventLoopGroup-2-1"));
    assertEquals(
        "made on a framework thread by " + netty,
        CallSite.of(new StackTraceElement[] {netty, shaded, jdk}));
  }

  @Test
  void frameworksOnTopOfNettyAreSkippedToo() {
    StackTraceElement app = frame("com.example.Orders", "fetch", 12);
    StackTraceElement[] stack = {
      frame("io.netty.channel.epoll.AbstractEpollChannel", "<init>", 1),
      frame("reactor.netty.transport.TransportConnector", "connect", 2),
      frame("reactor.core.publisher.Mono", "subscribe", 3),
      frame("io.grpc.netty.shaded.io.grpc.netty.NettyClientTransport", "start", 4),
      frame("io.grpc.internal.ClientCallImpl", "start", 5),
      frame("com.google.common.util.concurrent.AbstractFuture", "get", 6),
      frame("io.vertx.core.net.impl.NetClientImpl", "connect", 7),
      frame("io.lettuce.core.RedisClient", "connect", 8),
      frame("org.apache.hc.client5.http.impl.async.InternalHttpAsyncClient", "execute", 9),
      app,
    };
    assertEquals(app.toString(), CallSite.of(stack, "main"));
  }

  @Test
  void aTimerWithNoApplicationFrameIsNamedInWords() {
    StackTraceElement[] lettuce = {
      frame("io.netty.bootstrap.Bootstrap", "connect", 1),
      frame("io.lettuce.core.protocol.ReconnectionHandler", "reconnect", 2),
      frame("io.lettuce.core.protocol.ConnectionWatchdog", "run", 3),
      frame("io.netty.util.HashedWheelTimer$HashedWheelTimeout", "run", 4),
      frame("java.lang.Thread", "run", 5),
    };
    assertEquals(
        "connect scheduled by io.netty.bootstrap.Bootstrap (no application frame)",
        CallSite.of(lettuce, "lettuce-timer-3-1"));
    StackTraceElement[] jdkTimer = {
      frame("io.grpc.internal.InternalSubchannel", "startNewTransport", 1),
      frame("java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask", "run", 2),
    };
    assertEquals(
        "connect scheduled by io.grpc.internal.InternalSubchannel (no application frame)",
        CallSite.of(jdkTimer, "grpc-timer-0"));
  }

  @Test
  void theSkipListIsASettingAndMatchesRelocatedCopies() {
    StackTraceElement rpc = frame("com.acme.rpc.Client", "call", 1);
    StackTraceElement shadedRpc = frame("org.shade.com.acme.rpc.Pool", "get", 2);
    StackTraceElement app = frame("com.acme.orders.Orders", "fetch", 3);
    StackTraceElement[] stack = {rpc, shadedRpc, app};
    try {
      CallSite.frameworks(new String[] {"com.acme.rpc."});
      assertEquals(app.toString(), CallSite.of(stack, "main"));
      CallSite.frameworks(new String[0]);
      assertEquals(rpc.toString(), CallSite.of(stack, "main"));
    } finally {
      CallSite.frameworks(CallSite.DEFAULT_FRAMEWORKS.split(":"));
    }
  }

  @Test
  void threadNamesLoseThePoolNumbers() {
    assertEquals("epollEventLoopGroup", CallSite.threadName("epollEventLoopGroup-2-1"));
    assertEquals("pool-1-thread", CallSite.threadName("pool-1-thread-3"));
    assertEquals("main", CallSite.threadName("main"));
    assertEquals("42", CallSite.threadName("42"));
  }
}
