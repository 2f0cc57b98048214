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
    assertEquals(netty.toString(), CallSite.of(new StackTraceElement[] {netty, shaded, jdk}));
  }
}
