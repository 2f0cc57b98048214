package io.fourtuple.agent.core.config;

import io.fourtuple.agent.core.kernel.PortRange;
import io.fourtuple.agent.core.ledger.LedgerSettings;
import io.fourtuple.agent.core.linger.LingerPolicy;
import io.fourtuple.agent.core.report.CallSite;
import io.fourtuple.agent.core.report.CallSites;
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
  private final boolean enabled;
  private final Mode mode;
  private final boolean noPortEnabled;
  private final boolean nettyEnabled;
  private final boolean strict;
  private final PortRange portSlice;
  private final LingerPolicy lingerPolicy;
  private final int lingerLongSeconds;
  private final int lingerBlockedMillis;
  private final LedgerSettings ledger;

  /** From validated, normalized text: every conversion below is of a value known to be good. */
  AgentConfig(Map<Setting, String> values, Map<Setting, Source> sources) {
    this.values = Collections.unmodifiableMap(new EnumMap<Setting, String>(values));
    this.sources = Collections.unmodifiableMap(new EnumMap<Setting, Source>(sources));
    this.enabled = bool(Setting.ENABLED);
    this.mode = "audit".equals(values.get(Setting.MODE)) ? Mode.AUDIT : Mode.ENFORCE;
    this.noPortEnabled = bool(Setting.NOPORT_ENABLED);
    this.nettyEnabled = bool(Setting.NETTY_ENABLED);
    this.strict = bool(Setting.STRICT);
    String slice = values.get(Setting.PORTS_SLICE);
    this.portSlice = "none".equals(slice) ? null : PortRange.slice(slice);
    this.lingerPolicy = LingerPolicy.parse(values.get(Setting.LINGER_POLICY));
    this.lingerLongSeconds = Integer.parseInt(values.get(Setting.LINGER_LONG));
    this.lingerBlockedMillis = Integer.parseInt(values.get(Setting.LINGER_BLOCKED_MILLIS));
    this.ledger = new LedgerSettings(this);
  }

  public boolean enabled() {
    return enabled;
  }

  public Mode mode() {
    return mode;
  }

  public boolean audit() {
    return mode == Mode.AUDIT;
  }

  /** Whether the IP_BIND_ADDRESS_NO_PORT rewrite may run (its kill switch). */
  public boolean noPortEnabled() {
    return noPortEnabled;
  }

  /** Whether the Netty epoll and io_uring hooks are woven (their kill switch). */
  public boolean nettyEnabled() {
    return nettyEnabled;
  }

  /**
   * This JVM's slice of the ephemeral range ({@code ports.slice}) as configured, not yet checked
   * against the namespace's range ({@code PortSlice} does that); null for none.
   */
  public PortRange portSlice() {
    return portSlice;
  }

  public String logLevel() {
    return values.get(Setting.LOG_LEVEL);
  }

  /** {@code stderr} or a file path. */
  public String logFile() {
    return values.get(Setting.LOG_FILE);
  }

  public boolean strict() {
    return strict;
  }

  public LingerPolicy lingerPolicy() {
    return lingerPolicy;
  }

  /** SO_LINGER seconds from which a value counts as long. */
  public int lingerLongSeconds() {
    return lingerLongSeconds;
  }

  /** The shortest blocked close() of a lingering socket that is reported. */
  public int lingerBlockedMillis() {
    return lingerBlockedMillis;
  }

  /**
   * The agent's one call-site table, of {@code callsites.max} sites ({@code ledger.max.callsites},
   * its older name, when only that is set); names sites past the frameworks of {@code
   * callsite.skip}.
   */
  public CallSites newCallSites() {
    String skip = values.get(Setting.CALLSITE_SKIP);
    CallSite.frameworks(skip.equals("none") ? new String[0] : skip.split(":"));
    boolean older = sources.get(Setting.CALLSITES_MAX) == Source.DEFAULT;
    return new CallSites(
        Integer.parseInt(values.get(older ? Setting.LEDGER_MAX_CALLSITES : Setting.CALLSITES_MAX)));
  }

  /** The port ledger's settings. */
  public LedgerSettings ledger() {
    return ledger;
  }

  /** The value as validated and normalized, the text the debug line and the docs show. */
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
