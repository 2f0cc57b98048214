package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.bind.BindOutcome;

/**
 * How a client socket got its source port, which decides whose pool it draws from (DESIGN §1).
 * SO_REUSEADDR is not told apart: the hooks do not see socket options other than the bind itself.
 */
public enum SetupKind {
  /** {@code connect()} without {@code bind()}: the kernel picks a port knowing the 4-tuple. */
  PLAIN_CONNECT("connect", "plain connect: a port per destination and source IP"),
  /**
   * {@code bind(ip, 0)} then {@code connect()}: the port is chosen and reserved at bind, for every
   * destination.
   */
  BIND_PORT_0("bind0", "bind-before-connect: each socket reserves a port for all destinations"),
  /**
   * {@code bind(ip, 0)} with IP_BIND_ADDRESS_NO_PORT: the choice is deferred to connect, as plain.
   */
  BIND_PORT_0_NO_PORT(
      "bind0+noport", "bind-before-connect with IP_BIND_ADDRESS_NO_PORT: a port per destination"),
  /** {@code bind(ip, port)}: the application chose the port; it is held for every destination. */
  EXPLICIT_PORT("explicit", "explicit source port: held for every destination");

  private final String shortName;
  private final String description;

  SetupKind(String shortName, String description) {
    this.shortName = shortName;
    this.description = description;
  }

  /** {@code bind0+noport}: for tables and JSON. */
  public String shortName() {
    return shortName;
  }

  public String description() {
    return description;
  }

  /** Whether a socket set up this way holds its port against every destination. */
  public boolean holdsPortForAll() {
    return this == BIND_PORT_0 || this == EXPLICIT_PORT;
  }

  private static final SetupKind[] BY_ORDINAL = values();

  /**
   * The kind of {@code ordinal}, without the copy of the array that {@code values()} makes on every
   * call: per-socket records store the ordinal, and read it back on each connect and close.
   */
  public static SetupKind ofOrdinal(int ordinal) {
    return BY_ORDINAL[ordinal];
  }

  /** The kind a bind outcome leads to; null for binds the ledger does not follow (listeners). */
  public static SetupKind of(BindOutcome outcome) {
    switch (outcome) {
      case APPLIED:
      case OWN_OPTION_ON:
        return BIND_PORT_0_NO_PORT;
      case WOULD_APPLY:
      case SWITCHED_OFF:
      case UNAVAILABLE:
      case REFUSED_BY_KERNEL:
      case FAILED:
      case OWN_OPTION_OFF:
        return BIND_PORT_0;
      case EXPLICIT_PORT:
        return EXPLICIT_PORT;
      default:
        return null;
    }
  }
}
