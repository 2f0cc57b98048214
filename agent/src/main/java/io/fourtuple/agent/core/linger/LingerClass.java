package io.fourtuple.agent.core.linger;

/**
 * What an SO_LINGER value means for {@code close()}, most harmful last. The unit is seconds; with
 * linger on and a positive value, Linux's {@code close()} waits until the send queue has drained
 * and the peer has acknowledged it, or the time is up, even for a non-blocking socket.
 */
public enum LingerClass {
  /**
   * Linger off (the default): close() returns at once and the kernel delivers the data gracefully.
   */
  OFF("off", false, false),
  /** 0: close() sends RST. Unsent data is discarded, the peer sees a reset; no TIME_WAIT. */
  ZERO(
      "zero (close sends RST: unsent data is discarded, the peer sees a reset, no TIME_WAIT)",
      true,
      false),
  /** A short wait on a blocking socket: a deliberate bounded wait for delivery. Fine. */
  SHORT_BLOCKING("short, on a blocking socket", false, false),
  /** Any positive value on a non-blocking channel: an I/O thread's close() may block on it. */
  NON_BLOCKING("on a non-blocking channel", true, true),
  /** At least {@code fourtuple.linger.long} seconds. */
  LONG("long", true, true),
  /** At least 1000, or a round hundred from 100: almost certainly meant as milliseconds. */
  MILLIS_LIKE("looks like milliseconds", true, true),
  /** Above 65535: the JDK silently clamps it to 65535 s (18.2 h). */
  CLAMPED_BY_JDK("above 65535, clamped by the JDK", true, true);

  private final String label;
  private final boolean reported;
  private final boolean misuse;

  LingerClass(String label, boolean reported, boolean misuse) {
    this.label = label;
    this.reported = reported;
    this.misuse = misuse;
  }

  /** Worth a finding at the call site. */
  public boolean reported() {
    return reported;
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
