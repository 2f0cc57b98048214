package io.fourtuple.agent.core.kernel;

/**
 * TCP states as numbered in the kernel's {@code include/net/tcp_states.h} and printed in hex in the
 * {@code st} column of {@code /proc/net/tcp}.
 */
public final class TcpState {
  public static final int ESTABLISHED = 1;
  public static final int SYN_SENT = 2;
  public static final int SYN_RECV = 3;
  public static final int FIN_WAIT1 = 4;
  public static final int FIN_WAIT2 = 5;
  public static final int TIME_WAIT = 6;
  public static final int CLOSE = 7;
  public static final int CLOSE_WAIT = 8;
  public static final int LAST_ACK = 9;
  public static final int LISTEN = 10;
  public static final int CLOSING = 11;
  public static final int NEW_SYN_RECV = 12;

  /** One past the largest state number: the size of a per-state counter array. */
  public static final int COUNT = 13;

  private TcpState() {}
}
