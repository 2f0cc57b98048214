package io.fourtuple.agent.core.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The agent's effective configuration: an immutable value, made once at start by {@link
 * ConfigParser}, with the source of every value kept for the startup log and for error messages.
 */
public final class AgentConfig {

  /** What the agent may change. */
  public enum Mode {
    /** Apply rewrites and observe. */
    ENFORCE,
    /** Observe only; report what {@link #ENFORCE} would change. */
    AUDIT
  }

  private final Map<Setting, String> values;
  private final Map<Setting, Source> sources;

  AgentConfig(Map<Setting, String> values, Map<Setting, Source> sources) {
    this.values = Collections.unmodifiableMap(new EnumMap<Setting, String>(values));
    this.sources = Collections.unmodifiableMap(new EnumMap<Setting, Source>(sources));
  }

  /** The configuration with every setting at its default. */
  public static AgentConfig defaults() {
    Map<Setting, String> values = new EnumMap<Setting, String>(Setting.class);
    Map<Setting, Source> sources = new EnumMap<Setting, Source>(Setting.class);
    for (Setting s : Setting.values()) {
      values.put(s, s.defaultValue());
      sources.put(s, Source.DEFAULT);
    }
    return new AgentConfig(values, sources);
  }

  public boolean enabled() {
    return bool(Setting.ENABLED);
  }

  public Mode mode() {
    return "audit".equals(values.get(Setting.MODE)) ? Mode.AUDIT : Mode.ENFORCE;
  }

  /** Whether the IP_BIND_ADDRESS_NO_PORT rewrite may run (its kill switch). */
  public boolean noPortEnabled() {
    return bool(Setting.NOPORT_ENABLED);
  }

  public String logLevel() {
    return values.get(Setting.LOG_LEVEL);
  }

  /** {@code stderr} or a file path. */
  public String logFile() {
    return values.get(Setting.LOG_FILE);
  }

  public boolean strict() {
    return bool(Setting.STRICT);
  }

  /** The value of an integer setting (validated when parsed). */
  public int intValue(Setting setting) {
    return Integer.parseInt(values.get(setting));
  }

  public String value(Setting setting) {
    return values.get(setting);
  }

  public Source source(Setting setting) {
    return sources.get(setting);
  }

  private boolean bool(Setting setting) {
    return "true".equals(values.get(setting));
  }

  /** One line per setting, {@code fourtuple.mode=audit (system property)}, for the debug log. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Setting s : Setting.values()) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(s.propertyName()).append('=').append(values.get(s));
      out.append(" (").append(sources.get(s)).append(')');
    }
    return out.toString();
  }
}
