package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import org.junit.jupiter.api.Test;

class AgentStatsTest {
  private final AgentStats stats = new AgentStats();

  private void assertContains(String haystack, String needle) {
    assertTrue(haystack.contains(needle), () -> "'" + haystack + "' lacks '" + needle + "'");
  }

  @Test
  void emptyStatsSayNothingWasSeen() {
    assertEquals("no client socket activity seen", stats.describe());
    for (Api api : Api.values()) {
      for (BindOutcome o : BindOutcome.values()) {
        assertEquals(0, stats.binds(api, o));
      }
      for (ConnectFailure f : ConnectFailure.values()) {
        assertEquals(0, stats.connectFailures(api, f));
        assertEquals(0, stats.bindFailures(api, f));
      }
      assertEquals(0, stats.connected(api));
    }
    assertEquals(0, stats.internalErrors());
  }

  @Test
  void bindsAreCountedPerApiAndOutcome() {
    for (int i = 0; i < 5; i++) {
      stats.bind(Api.SOCKET, BindOutcome.APPLIED);
    }
    stats.bind(Api.SOCKET, BindOutcome.EXPLICIT_PORT);
    stats.bind(Api.SOCKET_CHANNEL, BindOutcome.APPLIED);
    assertEquals(5, stats.binds(Api.SOCKET, BindOutcome.APPLIED));
    assertEquals(1, stats.binds(Api.SOCKET, BindOutcome.EXPLICIT_PORT));
    assertEquals(1, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.APPLIED));
    assertEquals(0, stats.binds(Api.SOCKET_CHANNEL, BindOutcome.EXPLICIT_PORT));
  }

  @Test
  void firstBindIsTrueExactlyOncePerApiAndOutcome() {
    for (Api api : Api.values()) {
      for (BindOutcome o : BindOutcome.values()) {
        assertTrue(stats.bind(api, o), api + " " + o);
        assertFalse(stats.bind(api, o), api + " " + o);
        assertFalse(stats.bind(api, o), api + " " + o);
        assertEquals(3, stats.binds(api, o));
      }
    }
  }

  @Test
  void firstConnectFailureIsTrueExactlyOncePerApiAndCause() {
    for (Api api : Api.values()) {
      for (ConnectFailure f : ConnectFailure.values()) {
        assertTrue(stats.connectFailed(api, f), api + " " + f);
        assertFalse(stats.connectFailed(api, f), api + " " + f);
        assertEquals(2, stats.connectFailures(api, f));
      }
    }
  }

  @Test
  void firstBindFailureIsTrueExactlyOncePerApiAndCause() {
    for (Api api : Api.values()) {
      for (ConnectFailure f : ConnectFailure.values()) {
        assertTrue(stats.bindFailed(api, f), api + " " + f);
        assertFalse(stats.bindFailed(api, f), api + " " + f);
        assertEquals(2, stats.bindFailures(api, f));
      }
    }
  }

  /**
   * EADDRNOTAVAIL at bind (a source address that is not local) and at connect (no port left for the
   * destination) are different events; the first of each deserves its own report.
   */
  @Test
  void bindFailureDoesNotUseUpTheFirstConnectFailure() {
    assertTrue(stats.bindFailed(Api.SOCKET, ConnectFailure.ADDRESS_NOT_AVAILABLE));
    assertTrue(stats.connectFailed(Api.SOCKET, ConnectFailure.ADDRESS_NOT_AVAILABLE));
  }

  @Test
  void connectFailureDoesNotUseUpTheFirstBindFailure() {
    assertTrue(stats.connectFailed(Api.SOCKET_CHANNEL, ConnectFailure.ADDRESS_IN_USE));
    assertTrue(stats.bindFailed(Api.SOCKET_CHANNEL, ConnectFailure.ADDRESS_IN_USE));
  }

  @Test
  void connectsAndInternalErrorsAreCounted() {
    stats.connectSucceeded(Api.SOCKET);
    stats.connectSucceeded(Api.SOCKET);
    stats.connectInProgress(Api.SOCKET_CHANNEL);
    stats.internalError();
    assertEquals(2, stats.connected(Api.SOCKET));
    assertEquals(0, stats.connected(Api.SOCKET_CHANNEL));
    assertEquals(1, stats.internalErrors());
  }

  @Test
  void describeMentionsTheCounts() {
    for (int i = 0; i < 100; i++) {
      stats.bind(Api.SOCKET, BindOutcome.APPLIED);
      stats.connectSucceeded(Api.SOCKET);
    }
    stats.bind(Api.SOCKET, BindOutcome.EXPLICIT_PORT);
    stats.connectFailed(Api.SOCKET, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    stats.connectFailed(Api.SOCKET, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    stats.connectInProgress(Api.SOCKET_CHANNEL);
    stats.connectInProgress(Api.SOCKET_CHANNEL);
    stats.connectInProgress(Api.SOCKET_CHANNEL);

    String text = stats.describe();
    assertContains(text, "java.net.Socket: binds [");
    assertContains(text, BindOutcome.APPLIED.description() + ": 100");
    assertContains(text, BindOutcome.EXPLICIT_PORT.description() + ": 1");
    assertContains(text, "connects 100 ok");
    assertContains(text, ConnectFailure.ADDRESS_NOT_AVAILABLE.label() + ": 2");
    assertContains(text, "java.nio.channels.SocketChannel: binds [none]");
    assertContains(text, "3 started non-blocking");
    assertFalse(text.contains("no client socket activity seen"), text);
    assertFalse(text.contains("internal errors"), text);
  }

  @Test
  void describeListsOnlyApisWithActivity() {
    stats.bindFailed(Api.SOCKET_CHANNEL, ConnectFailure.ADDRESS_IN_USE);
    String text = stats.describe();
    assertFalse(text.contains("java.net.Socket:"), text);
    assertContains(text, "java.nio.channels.SocketChannel: binds [none], bind failures [");
    assertContains(text, ConnectFailure.ADDRESS_IN_USE.label() + ": 1");
  }

  @Test
  void describeMentionsInternalErrors() {
    stats.internalError();
    stats.internalError();
    String text = stats.describe();
    assertContains(text, "no client socket activity seen");
    assertContains(text, "internal errors: 2");
  }

  @Test
  void apiOfMapsTheHookConstants() {
    assertEquals(Api.SOCKET, Api.of(io.fourtuple.bootstrap.SocketHooks.API_SOCKET));
    assertEquals(Api.SOCKET_CHANNEL, Api.of(io.fourtuple.bootstrap.SocketHooks.API_SOCKET_CHANNEL));
    assertEquals(
        Api.ASYNC_SOCKET_CHANNEL,
        Api.of(io.fourtuple.bootstrap.SocketHooks.API_ASYNC_SOCKET_CHANNEL));
    assertEquals("java.net.Socket", Api.SOCKET.toString());
    assertEquals("java.nio.channels.SocketChannel", Api.SOCKET_CHANNEL.toString());
  }

  @Test
  void portReadsBeforeConnectAreCountedPerApiAndTheFirstIsSaid() {
    AgentStats stats = new AgentStats();
    assertTrue(stats.localPortReadBeforeConnect(Api.SOCKET_CHANNEL));
    assertFalse(stats.localPortReadBeforeConnect(Api.SOCKET_CHANNEL));
    assertEquals(2, stats.localPortReadsBeforeConnect(Api.SOCKET_CHANNEL));
    assertEquals(0, stats.localPortReadsBeforeConnect(Api.SOCKET));
    stats.bind(Api.SOCKET_CHANNEL, BindOutcome.APPLIED);
    assertTrue(
        stats
            .describe()
            .contains(
                "binds [IP_BIND_ADDRESS_NO_PORT set: 1], local port read before connect 2 (port"
                    + " given at the read: JDK behaviour kept), bind failures [none]"),
        stats.describe());
  }
}
