package io.fourtuple.agent.core.linger;

/**
 * What the guard does with a value classified as misuse ({@code fourtuple.linger.policy}):
 *
 * <ul>
 *   <li>{@code warn}: nothing; the finding says what {@code fix} would do.
 *   <li>{@code fix}: leave linger off for misuse classes ({@link LingerClass#misuse()}). close()
 *       then returns at once and the kernel still sends the queued data and a FIN, as for any
 *       socket without linger. A value is never turned into 0, which would discard data with a RST.
 *   <li>{@code clamp:N}: any positive value above N becomes N seconds, whatever its class.
 * </ul>
 *
 * <p>An immutable value; the grammar here is the one configuration validates.
 */
public final class LingerPolicy {
  /**
   * Returned by {@link #apply} to leave linger off. Same value as the hook interface's constant.
   */
  public static final int OFF = Integer.MIN_VALUE;

  /** The three kinds of policy. */
  public enum Kind {
    WARN,
    FIX,
    CLAMP
  }

  public static final LingerPolicy WARN = new LingerPolicy(Kind.WARN, 0);
  public static final LingerPolicy FIX = new LingerPolicy(Kind.FIX, 0);

  private final Kind kind;
  private final int max;

  private LingerPolicy(Kind kind, int max) {
    this.kind = kind;
    this.max = max;
  }

  public static LingerPolicy clamp(int max) {
    if (max < 1 || max > LingerClassifier.JDK_MAX) {
      throw new IllegalArgumentException("clamp maximum must be 1 to 65535 seconds: " + max);
    }
    return new LingerPolicy(Kind.CLAMP, max);
  }

  /**
   * {@code warn}, {@code fix} or {@code clamp:N} (case and spaces ignored); null if not one of
   * these.
   */
  public static LingerPolicy parse(String raw) {
    if (raw == null) {
      return null;
    }
    String text = raw.trim().toLowerCase(java.util.Locale.ROOT);
    if (text.equals("warn")) {
      return WARN;
    }
    if (text.equals("fix")) {
      return FIX;
    }
    if (text.startsWith("clamp:")) {
      try {
        int n = Integer.parseInt(text.substring("clamp:".length()).trim());
        return n < 1 || n > LingerClassifier.JDK_MAX ? null : clamp(n);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  public Kind kind() {
    return kind;
  }

  /** The clamp maximum in seconds; 0 unless {@link Kind#CLAMP}. */
  public int max() {
    return max;
  }

  /**
   * The seconds this policy would apply to a set classified {@code type}: {@code seconds}
   * unchanged, a smaller positive value, or {@link #OFF}. Never 0 unless {@code seconds} was 0.
   */
  public int apply(LingerClass type, int seconds) {
    switch (kind) {
      case FIX:
        return type.misuse() ? OFF : seconds;
      case CLAMP:
        return type != LingerClass.OFF && seconds > max ? max : seconds;
      default:
        return seconds;
    }
  }

  @Override
  public String toString() {
    return kind == Kind.CLAMP ? "clamp:" + max : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
