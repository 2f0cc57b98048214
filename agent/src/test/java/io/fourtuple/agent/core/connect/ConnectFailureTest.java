package io.fourtuple.agent.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/** Exceptions as the JDK builds them on Linux (JDK 8 appends its own detail in parentheses). */
class ConnectFailureTest {

  @Test
  void addressNotAvailable() {
    // JDK 11+ (sun.nio.ch.Net, NioSocketImpl): BindException with strerror text.
    assertEquals(
        ConnectFailure.ADDRESS_NOT_AVAILABLE,
        ConnectFailure.classify(new BindException("Cannot assign requested address")));
    assertEquals(
        ConnectFailure.ADDRESS_NOT_AVAILABLE,
        ConnectFailure.classify(
            new ConnectException("Cannot assign requested address (connect failed)")));
    // JDK 8 PlainSocketImpl maps EADDRNOTAVAIL at connect to NoRouteToHostException: the message
    // wins.
    assertEquals(
        ConnectFailure.ADDRESS_NOT_AVAILABLE,
        ConnectFailure.classify(
            new NoRouteToHostException("Cannot assign requested address (Address not available)")));
    assertEquals(
        ConnectFailure.ADDRESS_NOT_AVAILABLE,
        ConnectFailure.classify(
            new BindException("Cannot assign requested address (Bind failed)")));
    // Netty io_uring (4.2.18, measured in a namespace): the connect's completion, errno -99.
    assertEquals(
        ConnectFailure.ADDRESS_NOT_AVAILABLE,
        ConnectFailure.classify(
            new IOException(
                "io_uring connect(..) failed with error(-99): Cannot assign requested address")));
  }

  @Test
  void addressInUse() {
    assertEquals(
        ConnectFailure.ADDRESS_IN_USE,
        ConnectFailure.classify(new BindException("Address already in use")));
    assertEquals(
        ConnectFailure.ADDRESS_IN_USE,
        ConnectFailure.classify(new BindException("Address already in use (Bind failed)")));
  }

  @Test
  void refused() {
    assertEquals(
        ConnectFailure.REFUSED,
        ConnectFailure.classify(new ConnectException("Connection refused")));
    assertEquals(
        ConnectFailure.REFUSED,
        ConnectFailure.classify(new ConnectException("Connection refused (Connection refused)")));
  }

  @Test
  void timedOut() {
    assertEquals(
        ConnectFailure.TIMED_OUT,
        ConnectFailure.classify(new SocketTimeoutException("connect timed out")));
    assertEquals(
        ConnectFailure.TIMED_OUT,
        ConnectFailure.classify(new SocketTimeoutException("Connect timed out")));
    assertEquals(ConnectFailure.TIMED_OUT, ConnectFailure.classify(new SocketTimeoutException()));
    assertEquals(
        ConnectFailure.TIMED_OUT,
        ConnectFailure.classify(new ConnectException("Connection timed out")));
  }

  @Test
  void unreachable() {
    assertEquals(
        ConnectFailure.UNREACHABLE,
        ConnectFailure.classify(new NoRouteToHostException("No route to host")));
    assertEquals(
        ConnectFailure.UNREACHABLE,
        ConnectFailure.classify(new NoRouteToHostException("No route to host (Host unreachable)")));
    assertEquals(ConnectFailure.UNREACHABLE, ConnectFailure.classify(new NoRouteToHostException()));
    assertEquals(
        ConnectFailure.UNREACHABLE,
        ConnectFailure.classify(new ConnectException("Network is unreachable")));
  }

  @Test
  void other() {
    assertEquals(
        ConnectFailure.OTHER, ConnectFailure.classify(new SocketException("Socket closed")));
    assertEquals(ConnectFailure.OTHER, ConnectFailure.classify(new IOException()));
    assertEquals(ConnectFailure.OTHER, ConnectFailure.classify(new RuntimeException("boom")));
  }

  @Test
  void labelsNameTheErrno() {
    assertEquals(
        "EADDRNOTAVAIL (Cannot assign requested address)",
        ConnectFailure.ADDRESS_NOT_AVAILABLE.label());
    assertEquals("EADDRINUSE (Address already in use)", ConnectFailure.ADDRESS_IN_USE.label());
    assertEquals("ECONNREFUSED (Connection refused)", ConnectFailure.REFUSED.label());
  }
}
