package io.fourtuple.agent.core.config;

import io.fourtuple.agent.core.linger.LingerPolicy;
import java.util.ArrayList;
import java.util.Collections;
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
      "Kill switch for the Netty epoll hooks: false weaves no Netty class (its sockets go"
          + " unseen)."),
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
          + " summed as destination=\"other\"."),
  LEDGER_JMX(
      "ledger.jmx",
      "true",
      Kind.BOOLEAN,
      "Register the MBean io.fourtuple:type=PortLedger in the platform MBean server (opens no"
          + " port)."),
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
      "Client sockets followed from connect to close; past it sockets are counted, not followed."),
  LEDGER_MAX_CALLSITES(
      "ledger.max.callsites",
      "1000",
      Kind.positiveInt(1, 100000),
      "Distinct call sites remembered; later ones are counted as other."),
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

  /** How a setting's text is validated. */
  abstract static class Kind {
    static final Kind BOOLEAN = choice("true", "false");

    static final Kind TEXT =
        new Kind() {
          @Override
          String normalize(String raw) {
            String trimmed = raw.trim();
            return trimmed.isEmpty() ? null : trimmed;
          }

          @Override
          String describe() {
            return "non-empty text";
          }
        };

    /** A share of the pool ({@code 10%}) or a number of ports ({@code 500}). */
    static final Kind HEADROOM =
        new Kind() {
          @Override
          String normalize(String raw) {
            String v = raw.trim();
            boolean percent = v.endsWith("%");
            String digits = percent ? v.substring(0, v.length() - 1).trim() : v;
            if (!digits.matches("\\d{1,9}")) {
              return null;
            }
            long n = Long.parseLong(digits);
            if (percent && n > 100) {
              return null;
            }
            return n + (percent ? "%" : "");
          }

          @Override
          String describe() {
            return "a percentage of the pool (0%-100%) or a number of ports";
          }
        };

    /**
     * {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}; with {@code offAllowed}, also {@code
     * off}.
     */
    static Kind duration(final boolean offAllowed) {
      return new Kind() {
        @Override
        String normalize(String raw) {
          String v = raw.trim().toLowerCase(Locale.ROOT);
          if (offAllowed && v.equals("off")) {
            return v;
          }
          if (!v.matches("\\d{1,9}(ms|s|m|h)")) {
            return null;
          }
          return Durations.millis(v) < 100 ? null : v;
        }

        @Override
        String describe() {
          return "a duration of at least 100ms such as 500ms, 10s, 5m, 1h"
              + (offAllowed ? ", or off" : "");
        }
      };
    }

    static Kind positiveInt(final int min, final int max) {
      return new Kind() {
        @Override
        String normalize(String raw) {
          String v = raw.trim();
          if (!v.matches("\\d{1,9}")) {
            return null;
          }
          int n = Integer.parseInt(v);
          return n < min || n > max ? null : String.valueOf(n);
        }

        @Override
        String describe() {
          return "a whole number from " + min + " to " + max;
        }
      };
    }

    static Kind choice(String... choices) {
      final List<String> allowed = Collections.unmodifiableList(java.util.Arrays.asList(choices));
      return new Kind() {
        @Override
        String normalize(String raw) {
          String value = raw.trim().toLowerCase(Locale.ROOT);
          return allowed.contains(value) ? value : null;
        }

        @Override
        String describe() {
          List<String> quoted = new ArrayList<String>();
          for (String c : allowed) {
            quoted.add(c);
          }
          return "one of " + String.join(", ", quoted);
        }
      };
    }

    /** {@code warn}, {@code fix} or {@code clamp:N}; the grammar is {@code LingerPolicy}'s. */
    static final Kind LINGER_POLICY =
        new Kind() {
          @Override
          String normalize(String raw) {
            LingerPolicy policy = LingerPolicy.parse(raw);
            return policy == null ? null : policy.toString();
          }

          @Override
          String describe() {
            return "warn, fix, or clamp:N with N from 1 to 65535 seconds";
          }
        };

    static Kind integer(final int min, final int max) {
      return new Kind() {
        @Override
        String normalize(String raw) {
          try {
            long value = Long.parseLong(raw.trim());
            return value < min || value > max ? null : Long.toString(value);
          } catch (NumberFormatException e) {
            return null;
          }
        }

        @Override
        String describe() {
          return "an integer from " + min + " to " + max;
        }
      };
    }

    abstract String normalize(String raw);

    abstract String describe();
  }
}
