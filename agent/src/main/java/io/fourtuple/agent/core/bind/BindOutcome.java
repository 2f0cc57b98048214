package io.fourtuple.agent.core.bind;

/** What the agent did, or would have done, about one bind. */
public enum BindOutcome {
  /** A client bind to port 0: {@code IP_BIND_ADDRESS_NO_PORT} was set just before it. */
  APPLIED(true, "IP_BIND_ADDRESS_NO_PORT set"),
  /** Audit mode: enforce mode would have set the option. */
  WOULD_APPLY(true, "IP_BIND_ADDRESS_NO_PORT would be set (audit)"),
  /**
   * A client bind to port 0 left alone by the kill switch {@code fourtuple.noport.enabled=false}.
   */
  SWITCHED_OFF(true, "left alone (fourtuple.noport.enabled=false)"),
  /** A client bind to port 0 left alone because the option cannot be set on this JVM or kernel. */
  UNAVAILABLE(true, "left alone (IP_BIND_ADDRESS_NO_PORT unavailable)"),
  /** The kernel refused the option just now; the rewrite is off for the rest of the process. */
  REFUSED_BY_KERNEL(true, "left alone (the kernel refused IP_BIND_ADDRESS_NO_PORT)"),
  /** Setting the option failed for another reason; the bind proceeds unchanged. */
  FAILED(true, "left alone (setting IP_BIND_ADDRESS_NO_PORT failed)"),
  /**
   * A Netty epoll client bind to port 0 whose channel set Netty's own {@code
   * EpollChannelOption.IP_BIND_ADDRESS_NO_PORT} to true: left alone, the option is on already.
   */
  OWN_OPTION_ON(true, "left alone (the application set Netty's IP_BIND_ADDRESS_NO_PORT=true)"),
  /** As {@link #OWN_OPTION_ON}, with the application's option false: left alone, as it asked. */
  OWN_OPTION_OFF(true, "left alone (the application set Netty's IP_BIND_ADDRESS_NO_PORT=false)"),
  /** A bind to an explicit port: the application asked for that port, so it is never changed. */
  EXPLICIT_PORT(false, "explicit port, left alone"),
  /** A listening socket: never changed (the JDK reads the bound port right after bind). */
  SERVER_SOCKET(false, "server socket, left alone"),
  /** Not an IP bind (a unix-domain or unresolved address). */
  NOT_INET(false, "not an IP address, left alone"),
  /** The socket's descriptor is gone (never created, or closed): the JDK's bind throws. */
  NOT_OPEN(false, "not open, left to the JDK");

  private final boolean clientPortZero;
  private final String description;

  BindOutcome(boolean clientPortZero, String description) {
    this.clientPortZero = clientPortZero;
    this.description = description;
  }

  /** True for client binds to port 0, the binds that reserve a port for every destination. */
  public boolean isClientPortZero() {
    return clientPortZero;
  }

  public String description() {
    return description;
  }
}
