package io.fourtuple.agent.core.linger;

/**
 * What an SO_LINGER value means for {@code close()}, most harmful last. The unit is seconds; with
 * linger on and a positive value, Linux's {@code close()} waits until the send queue has drained
 * and the peer has acknowledged it, or the time is up, even for a non-blocking socket.
 *
 * <p>Reported classes are logged once per call site: at WARN where harm is likely, at INFO for
 * {@link #ZERO}, which is usually deliberate (a connection closed with nothing left to send, to
 * skip TIME_WAIT) and harmful only when data is still queued at close, which the agent cannot see
 * without native code of its own (docs/linger.md, "Why a zero linger is INFO").
 */
public enum LingerClass {
  /**
   * Linger off (the default): close() returns at once and the kernel delivers the data gracefully.
   */
  OFF("off", false, false, false),
  /** 0: close() sends RST. Unsent data is discarded, the peer sees a reset; no TIME_WAIT. */
  ZERO(
      "zero (close sends RST: unsent data is discarded, the peer sees a reset, no TIME_WAIT)",
      true,
      false,
      false),
  /** A short wait on a blocking socket: a deliberate bounded wait for delivery. Fine. */
  SHORT_BLOCKING("short, on a blocking socket", false, false, false),
  /** Any positive value on a non-blocking channel: an I/O thread's close() may block on it. */
  NON_BLOCKING("on a non-blocking channel", true, true, true),
  /** At least {@code fourtuple.linger.long} seconds. */
  LONG("long", true, true, true),
  /** At least 1000, or a round hundred from 100: almost certainly meant as milliseconds. */
  MILLIS_LIKE("looks like milliseconds", true, true, true),
  /** Above 65535: the JDK silently clamps it to 65535 s (18.2 h). */
  CLAMPED_BY_JDK("above 65535, clamped by the JDK", true, true, true);

  private final String label;
  private final boolean reported;
  private final boolean warned;
  private final boolean misuse;

  LingerClass(String label, boolean reported, boolean warned, boolean misuse) {
    this.label = label;
    this.reported = reported;
    this.warned = warned;
    this.misuse = misuse;
  }

  /** Worth a finding at the call site. */
  public boolean reported() {
    return reported;
  }

  /** Harm is likely: the finding is a WARN. A reported class that is not warned is an INFO. */
  public boolean warned() {
    return warned;
  }

  /**
   * What policy {@code fix} leaves off. Never {@link #ZERO}: turning linger off would change RST.
   */
  public boolean misuse() {
    return misuse;
  }

  public String label() {
    return label;
  }
}
