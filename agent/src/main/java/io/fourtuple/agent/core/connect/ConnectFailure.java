package io.fourtuple.agent.core.connect;

import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.util.Locale;

/**
 * Why a bind or connect failed, by the errno behind the JDK's exception. The JDK maps errno to
 * exception classes coarsely (EADDRINUSE and EADDRNOTAVAIL are both {@code BindException}), so the
 * message decides.
 */
public enum ConnectFailure {
  /**
   * EADDRINUSE: with plain bind-before-connect, the shared port pool is exhausted at {@code
   * bind()}.
   */
  ADDRESS_IN_USE("EADDRINUSE (Address already in use)"),
  /**
   * EADDRNOTAVAIL: no source port left for this destination at {@code connect()} (or, with
   * IP_BIND_ADDRESS_NO_PORT, for this source IP and destination).
   */
  ADDRESS_NOT_AVAILABLE("EADDRNOTAVAIL (Cannot assign requested address)"),
  REFUSED("ECONNREFUSED (Connection refused)"),
  TIMED_OUT("timed out"),
  UNREACHABLE("unreachable"),
  OTHER("other");

  private final String label;

  ConnectFailure(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static ConnectFailure classify(Throwable t) {
    String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
    if (message.contains("cannot assign requested address")) {
      return ADDRESS_NOT_AVAILABLE;
    }
    if (message.contains("address already in use")) {
      return ADDRESS_IN_USE;
    }
    if (t instanceof SocketTimeoutException || message.contains("timed out")) {
      return TIMED_OUT;
    }
    if (message.contains("connection refused")) {
      return REFUSED;
    }
    if (t instanceof NoRouteToHostException || message.contains("unreachable")) {
      return UNREACHABLE;
    }
    return OTHER;
  }
}
