package io.fourtuple.agent.core.linger;

/**
 * Classifies one SO_LINGER set. A pure function of the value, whether linger is being turned on,
 * whether the socket is a non-blocking channel, and the configured threshold for "long". The table,
 * first match wins:
 *
 * <table>
 *   <caption>SO_LINGER classes</caption>
 *   <tr><th>value (seconds)</th><th>class</th><th>why</th></tr>
 *   <tr><td>off, or negative</td><td>{@link LingerClass#OFF}</td><td>close() returns at once; the kernel
 *       delivers unsent data in the background</td></tr>
 *   <tr><td>0</td><td>{@link LingerClass#ZERO}</td><td>RST on close: unsent data discarded, no
 *       TIME_WAIT</td></tr>
 *   <tr><td>&gt; 65535</td><td>{@link LingerClass#CLAMPED_BY_JDK}</td><td>the JDK silently stores 65535
 *       (18.2 h)</td></tr>
 *   <tr><td>&ge; 1000, or &ge; 100 and a multiple of 100</td><td>{@link LingerClass#MILLIS_LIKE}</td>
 *       <td>1000 s = 16 min 40 s: meant as 1 s</td></tr>
 *   <tr><td>&ge; long threshold (default 10)</td><td>{@link LingerClass#LONG}</td><td>close() may block
 *       that long</td></tr>
 *   <tr><td>any other positive value on a non-blocking channel</td><td>{@link
 *       LingerClass#NON_BLOCKING}</td><td>an I/O thread's close() may block while holding the channel's
 *       lock</td></tr>
 *   <tr><td>any other positive value</td><td>{@link LingerClass#SHORT_BLOCKING}</td><td>a deliberate,
 *       bounded wait</td></tr>
 * </table>
 */
public final class LingerClassifier {
  /** The JDK stores at most this many seconds (it clamps larger values without a word). */
  public static final int JDK_MAX = 65535;

  private final int longSeconds;

  public LingerClassifier(int longSeconds) {
    if (longSeconds < 1) {
      throw new IllegalArgumentException("longSeconds must be at least 1: " + longSeconds);
    }
    this.longSeconds = longSeconds;
  }

  public LingerClass classify(boolean on, int seconds, boolean nonBlockingChannel) {
    if (!on || seconds < 0) {
      return LingerClass.OFF;
    }
    if (seconds == 0) {
      return LingerClass.ZERO;
    }
    if (seconds > JDK_MAX) {
      return LingerClass.CLAMPED_BY_JDK;
    }
    if (looksLikeMillis(seconds)) {
      return LingerClass.MILLIS_LIKE;
    }
    if (seconds >= longSeconds) {
      return LingerClass.LONG;
    }
    return nonBlockingChannel ? LingerClass.NON_BLOCKING : LingerClass.SHORT_BLOCKING;
  }

  static boolean looksLikeMillis(int seconds) {
    return seconds >= 1000 || (seconds >= 100 && seconds % 100 == 0);
  }

  /** {@code 16 min 40 s}, {@code 18 h 12 min 15 s}, {@code 5 s}. */
  public static String duration(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long s = seconds % 60;
    StringBuilder out = new StringBuilder();
    if (h > 0) {
      out.append(h).append(" h");
    }
    if (m > 0) {
      out.append(out.length() > 0 ? " " : "").append(m).append(" min");
    }
    if (s > 0 || out.length() == 0) {
      out.append(out.length() > 0 ? " " : "").append(s).append(" s");
    }
    return out.toString();
  }

  /**
   * What the value probably meant, read as milliseconds: {@code 1000 -> "1 s"}, {@code 1500 -> "1.5
   * s"}, {@code 200 -> "200 ms (SO_LINGER cannot wait less than 1 s)"}.
   */
  public static String asMillis(int value) {
    if (value < 1000) {
      return value + " ms (SO_LINGER cannot wait less than 1 s)";
    }
    if (value % 1000 == 0) {
      return (value / 1000) + " s";
    }
    return (value / 1000) + "." + String.format("%03d", value % 1000).replaceAll("0+$", "") + " s";
  }
}
