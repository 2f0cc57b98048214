package io.fourtuple.agent.core.config;

import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.linger.LingerPolicy;
import io.fourtuple.agent.core.report.CallSite;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every configuration setting fourtuple reads. One name serves all sources: {@code fourtuple.mode}
 * is the system property {@code -Dfourtuple.mode}, the environment variable {@code FOURTUPLE_MODE}
 * and the agent argument {@code mode=...} (the {@code fourtuple.} prefix is optional there).
 *
 * <p>Adding a setting here adds it to all sources, to validation and to {@code
 * docs/configuration.md}'s table (a unit test keeps that table in step).
 */
public enum Setting {
  ENABLED("enabled", "true", Kind.BOOLEAN, "Master switch. false: the agent installs nothing."),
  MODE(
      "mode",
      "enforce",
      Kind.choice("enforce", "audit"),
      "enforce: apply the rewrites and observe. audit: observe only, and report what enforce would"
          + " change."),
  NOPORT_ENABLED(
      "noport.enabled",
      "true",
      Kind.BOOLEAN,
      "Kill switch for the IP_BIND_ADDRESS_NO_PORT rewrite alone (observation stays on)."),
  NETTY_ENABLED(
      "netty.enabled",
      "true",
      Kind.BOOLEAN,
      "Kill switch for the Netty epoll and io_uring hooks: false weaves no Netty class (its"
          + " sockets go unseen)."),
  PORTS_SLICE(
      "ports.slice",
      "none",
      Kind.PORT_SLICE,
      "This JVM's slice of the ephemeral port range (Linux 6.3+ IP_LOCAL_PORT_RANGE): every"
          + " outbound socket it hooks draws its source port from LOW-HIGH only. Must lie inside"
          + " ip_local_port_range; none: the whole range."),
  LOG_LEVEL(
      "log.level", "info", Kind.choice("error", "warn", "info", "debug"), "Agent log threshold."),
  LOG_FILE(
      "log.file",
      "stderr",
      Kind.TEXT,
      "Where the agent logs: stderr, or a file path (appended). Never the application's logging."),
  STRICT(
      "strict",
      "false",
      Kind.BOOLEAN,
      "true: invalid configuration fails the JVM start instead of leaving the agent out."),
  LEDGER_ENABLED(
      "ledger.enabled",
      "true",
      Kind.BOOLEAN,
      "The per-destination source-port ledger, its kernel-table reads, warnings and outputs."),
  LEDGER_INTERVAL(
      "ledger.interval",
      "10s",
      Kind.duration(false),
      "How often the ledger reads the kernel table, reconciles, and checks headroom."),
  LEDGER_WARN_HEADROOM(
      "ledger.warn.headroom",
      "10%",
      Kind.HEADROOM,
      "Warn when a destination has fewer free source ports than this: a share of the pool or a"
          + " count."),
  LEDGER_WARN_ETA(
      "ledger.warn.eta",
      "5m",
      Kind.duration(true),
      "Warn when a destination's forecast (recent connect rate, its trend, connection lifetimes)"
          + " runs out of source ports within this time (at most 1h), or off: headroom only."),
  LEDGER_SUMMARY_INTERVAL(
      "ledger.summary.interval",
      "60s",
      Kind.duration(true),
      "How often the per-destination summary table is logged (only when it changed), or off."),
  LEDGER_JSON_FILE(
      "ledger.json.file",
      "none",
      Kind.TEXT,
      "A JSON report file, rewritten atomically on an interval and at exit; none: no file."),
  LEDGER_JSON_INTERVAL(
      "ledger.json.interval",
      "60s",
      Kind.duration(false),
      "How often the JSON report file is rewritten."),
  LEDGER_PROMETHEUS_FILE(
      "ledger.prometheus.file",
      "none",
      Kind.TEXT,
      "A Prometheus text-format file for node_exporter's textfile collector, rewritten atomically"
          + " at every ledger tick and at exit; {pid} in the path is the JVM's pid; none: no file."),
  LEDGER_PROMETHEUS_REMOVE_ON_EXIT(
      "ledger.prometheus.remove.on.exit",
      "false",
      Kind.BOOLEAN,
      "true: remove the Prometheus file when the JVM exits cleanly or the agent detaches."),
  LEDGER_PROMETHEUS_MAX_DESTINATIONS(
      "ledger.prometheus.max.destinations",
      "50",
      Kind.positiveInt(1, 10000),
      "Destinations with series of their own in the Prometheus file, tightest first; the rest are"
          + " summed as destination=\"other\". Also the destinations with an MBean of their own."),
  LEDGER_JMX(
      "ledger.jmx",
      "true",
      Kind.BOOLEAN,
      "Register the MBean io.fourtuple:type=PortLedger in the platform MBean server once it exists"
          + " (the agent never makes it), and one per destination shown (opens no port)."),
  LEDGER_JFR(
      "ledger.jfr",
      "true",
      Kind.BOOLEAN,
      "Emit JFR events (exhaustion failures, headroom warnings, usage) where the JDK has JFR."),
  LEDGER_MAX_DESTINATIONS(
      "ledger.max.destinations",
      "10000",
      Kind.positiveInt(1, 1000000),
      "Destinations followed one by one; the rest are summed in one overflow row."),
  LEDGER_MAX_SOCKETS(
      "ledger.max.sockets",
      "200000",
      Kind.positiveInt(1, 10000000),
      "Records in the one per-socket table (client sockets followed from connect to close, sockets"
          + " left with linger on); past it sockets are counted, not followed."),
  LEDGER_MAX_CALLSITES(
      "ledger.max.callsites",
      "1000",
      Kind.positiveInt(1, 100000),
      "The older name of callsites.max, used when callsites.max is not set."),
  CALLSITES_MAX(
      "callsites.max",
      "1000",
      Kind.positiveInt(1, 100000),
      "Distinct call sites remembered, for the ledger, the audit and the linger guard together;"
          + " observations at later ones are counted, not attributed."),
  CALLSITE_SKIP(
      "callsite.skip",
      CallSite.DEFAULT_FRAMEWORKS,
      Kind.PREFIXES,
      "Package prefixes of frameworks whose frames a call site skips (a relocated copy too, such as"
          + " io.grpc.netty.shaded.io.netty.), colon-separated; none: skip only the JDK's."),
  LINGER_POLICY(
      "linger.policy",
      "warn",
      Kind.LINGER_POLICY,
      "What to do with an SO_LINGER value classified as misuse. warn: report only. fix: leave"
          + " linger off. clamp:N: cap positive values at N seconds."),
  LINGER_LONG(
      "linger.long",
      "10",
      Kind.integer(1, 65535),
      "SO_LINGER seconds from which a value counts as long (close() may block that long)."),
  LINGER_BLOCKED_MILLIS(
      "linger.blocked.millis",
      "1000",
      Kind.integer(0, Integer.MAX_VALUE),
      "Report a close() of a socket with linger on that blocked at least this many milliseconds.");

  /** Prefix of system properties and of fully qualified agent-argument keys. */
  public static final String PROPERTY_PREFIX = "fourtuple.";

  /** Prefix of environment variables. */
  public static final String ENV_PREFIX = "FOURTUPLE_";

  private final String name;
  private final String defaultValue;
  private final Kind kind;
  private final String description;

  Setting(String name, String defaultValue, Kind kind, String description) {
    this.name = name;
    this.defaultValue = defaultValue;
    this.kind = kind;
    this.description = description;
  }

  /** The key without prefix, as in agent arguments: {@code noport.enabled}. */
  public String shortName() {
    return name;
  }

  /** The system property: {@code fourtuple.noport.enabled}. */
  public String propertyName() {
    return PROPERTY_PREFIX + name;
  }

  /** The environment variable: {@code FOURTUPLE_NOPORT_ENABLED}. */
  public String envName() {
    return ENV_PREFIX + name.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** Human description of the accepted values, used in error messages and the docs table. */
  public String acceptedValues() {
    return kind.describe();
  }

  /** The normalized value, or null if {@code raw} is not acceptable. */
  String normalize(String raw) {
    return kind.normalize(raw);
  }

  /** Finds a setting by short name, property name or environment variable name; null if none. */
  public static Setting find(String key) {
    for (Setting s : values()) {
      if (s.name.equals(key) || s.propertyName().equals(key) || s.envName().equals(key)) {
        return s;
      }
    }
    return null;
  }

  /**
   * The setting whose short name is closest to {@code key}, for "did you mean" hints; null if none
   * is.
   */
  static Setting closest(String key) {
    String bare = key.toLowerCase(Locale.ROOT);
    if (bare.startsWith(PROPERTY_PREFIX)) {
      bare = bare.substring(PROPERTY_PREFIX.length());
    } else if (bare.startsWith(ENV_PREFIX.toLowerCase(Locale.ROOT))) {
      bare = bare.substring(ENV_PREFIX.length()).replace('_', '.');
    }
    Setting best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Setting s : values()) {
      int d = editDistance(bare, s.name);
      if (d < bestDistance) {
        bestDistance = d;
        best = s;
      }
    }
    return bestDistance <= Math.max(2, bare.length() / 3) ? best : null;
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /**
   * How a setting's text is validated and normalized. One class with a type code, not a subclass
   * per kind: premain loads it.
   */
  static final class Kind {
    private static final int CHOICE = 0;
    private static final int TEXT_TYPE = 1;
    private static final int HEADROOM_TYPE = 2;
    private static final int DURATION = 3;
    private static final int DIGITS = 4;
    private static final int INTEGER = 5;
    private static final int LINGER = 6;
    private static final int SLICE = 7;
    private static final int PREFIX_LIST = 8;

    static final Kind BOOLEAN = choice("true", "false");
    static final Kind TEXT = new Kind(TEXT_TYPE, 0, 0, false, null, "non-empty text");

    /** A share of the pool ({@code 10%}) or a number of ports ({@code 500}). */
    static final Kind HEADROOM =
        new Kind(
            HEADROOM_TYPE,
            0,
            100,
            false,
            null,
            "a percentage of the pool (0%-100%) or a number of ports");

    /** {@code warn}, {@code fix} or {@code clamp:N}; the grammar is {@code LingerPolicy}'s. */
    static final Kind LINGER_POLICY =
        new Kind(
            LINGER, 1, 65535, false, null, "warn, fix, or clamp:N with N from 1 to 65535 seconds");

    /** {@code none}, or {@code LOW-HIGH}: two ports with LOW no higher than HIGH. */
    static final Kind PORT_SLICE =
        new Kind(
            SLICE,
            0,
            0,
            false,
            null,
            "none, or LOW-HIGH with 1 <= LOW <= HIGH <= 65535 (for example 40000-40999)");

    /** {@code none}, or package prefixes ({@code io.netty.:io.grpc.}), colon-separated. */
    static final Kind PREFIXES =
        new Kind(
            PREFIX_LIST,
            0,
            0,
            false,
            null,
            "none, or package prefixes separated by colons (for example io.netty.:com.acme.rpc.)");

    private final int type;
    private final long min;
    private final long max;
    private final boolean offAllowed;
    private final List<String> choices;
    private final String described;

    private Kind(
        int type, long min, long max, boolean offAllowed, List<String> choices, String described) {
      this.type = type;
      this.min = min;
      this.max = max;
      this.offAllowed = offAllowed;
      this.choices = choices;
      this.described = described;
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}; with {@code offAllowed}, also {@code
     * off}.
     */
    static Kind duration(boolean offAllowed) {
      return new Kind(
          DURATION,
          100,
          0,
          offAllowed,
          null,
          "a duration of at least 100ms such as 500ms, 10s, 5m, 1h"
              + (offAllowed ? ", or off" : ""));
    }

    /** Digits only, {@code min} to {@code max}. */
    static Kind positiveInt(int min, int max) {
      return new Kind(DIGITS, min, max, false, null, "a whole number from " + min + " to " + max);
    }

    /** Any integer text, {@code min} to {@code max}. */
    static Kind integer(int min, int max) {
      return new Kind(INTEGER, min, max, false, null, "an integer from " + min + " to " + max);
    }

    static Kind choice(String... choices) {
      return new Kind(
          CHOICE, 0, 0, false, Arrays.asList(choices), "one of " + String.join(", ", choices));
    }

    /** The normalized value, or null if {@code raw} is not acceptable. */
    String normalize(String raw) {
      String v = raw.trim();
      switch (type) {
        case CHOICE:
          v = v.toLowerCase(Locale.ROOT);
          return choices.contains(v) ? v : null;
        case TEXT_TYPE:
          return v.isEmpty() ? null : v;
        case HEADROOM_TYPE:
          boolean percent = v.endsWith("%");
          String digits = percent ? v.substring(0, v.length() - 1).trim() : v;
          if (!digits(digits)) {
            return null;
          }
          long n = Long.parseLong(digits);
          return percent && n > max ? null : n + (percent ? "%" : "");
        case DURATION:
          v = v.toLowerCase(Locale.ROOT);
          if (offAllowed && v.equals("off")) {
            return v;
          }
          int unit = v.endsWith("ms") ? v.length() - 2 : v.length() - 1;
          if (unit < 1
              || "smh".indexOf(v.charAt(unit)) < 0
              || !digits(v.substring(0, unit))
              || Durations.millis(v) < min) {
            return null;
          }
          return v;
        case DIGITS:
          return digits(v) ? inRange(Long.parseLong(v)) : null;
        case INTEGER:
          try {
            return inRange(Long.parseLong(v));
          } catch (NumberFormatException e) {
            return null;
          }
        case SLICE:
          if (v.equalsIgnoreCase("none")) {
            return "none";
          }
          PortRange slice = PortRange.slice(v);
          return slice == null ? null : slice.low() + "-" + slice.high();
        case PREFIX_LIST:
          if (v.equalsIgnoreCase("none")) {
            return "none";
          }
          StringBuilder prefixes = new StringBuilder();
          for (String prefix : v.split(":")) {
            prefix = prefix.trim();
            for (int i = 0; i < prefix.length(); i++) {
              char c = prefix.charAt(i);
              if (!(c == '.' ? i > 0 : Character.isJavaIdentifierPart(c))) {
                return null;
              }
            }
            if (prefix.isEmpty()) {
              return null;
            }
            prefixes.append(prefixes.length() == 0 ? "" : ":").append(prefix);
          }
          return prefixes.toString();
        default:
          LingerPolicy policy = LingerPolicy.parse(raw);
          return policy == null ? null : policy.toString();
      }
    }

    /** Human description of the accepted values, for error messages and the docs table. */
    String describe() {
      return described;
    }

    private String inRange(long n) {
      return n < min || n > max ? null : Long.toString(n);
    }

    /** One to nine ASCII digits. */
    private static boolean digits(String v) {
      if (v.isEmpty() || v.length() > 9) {
        return false;
      }
      for (int i = 0; i < v.length(); i++) {
        if (v.charAt(i) < '0' || v.charAt(i) > '9') {
          return false;
        }
      }
      return true;
    }
  }
}
