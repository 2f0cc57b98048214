package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.Durations;
import io.fourtuple.agent.core.config.Setting;
import io.fourtuple.agent.core.report.CallSites;

/** The ledger's settings, typed: made once with the validated configuration ({@code ledger()}). */
public final class LedgerSettings {
  final boolean enabled;
  final long intervalMillis;
  final long summaryMillis;
  final String json;
  final long jsonMillis;
  final String prometheus;
  final boolean prometheusRemove;
  final int prometheusMaxDestinations;
  final boolean jmx;
  final boolean jfr;
  final int maxDestinations;
  final int maxSockets;
  private final String warnHeadroom;

  /** The forecast's horizon when none is configured: {@code ledger.warn.eta}'s default. */
  static final int ETA_SECONDS = 300;

  /** How far the forecast looks, in seconds (at most an hour); 0: off. */
  final int etaSeconds;

  /** Only {@code AgentConfig} calls this; everyone else asks it for {@code ledger()}. */
  public LedgerSettings(AgentConfig config) {
    this.enabled = "true".equals(config.value(Setting.LEDGER_ENABLED));
    this.intervalMillis = Durations.millis(config.value(Setting.LEDGER_INTERVAL));
    this.summaryMillis = Durations.millis(config.value(Setting.LEDGER_SUMMARY_INTERVAL));
    String file = config.value(Setting.LEDGER_JSON_FILE);
    this.json = "none".equalsIgnoreCase(file) ? null : file;
    this.jsonMillis = Durations.millis(config.value(Setting.LEDGER_JSON_INTERVAL));
    String prom = config.value(Setting.LEDGER_PROMETHEUS_FILE);
    this.prometheus = "none".equalsIgnoreCase(prom) ? null : prom;
    this.prometheusRemove = "true".equals(config.value(Setting.LEDGER_PROMETHEUS_REMOVE_ON_EXIT));
    this.prometheusMaxDestinations =
        Integer.parseInt(config.value(Setting.LEDGER_PROMETHEUS_MAX_DESTINATIONS));
    this.jmx = "true".equals(config.value(Setting.LEDGER_JMX));
    this.jfr = "true".equals(config.value(Setting.LEDGER_JFR));
    this.maxDestinations = Integer.parseInt(config.value(Setting.LEDGER_MAX_DESTINATIONS));
    this.maxSockets = Integer.parseInt(config.value(Setting.LEDGER_MAX_SOCKETS));
    this.warnHeadroom = config.value(Setting.LEDGER_WARN_HEADROOM);
    this.etaSeconds =
        (int) Math.min(3600, Durations.millis(config.value(Setting.LEDGER_WARN_ETA)) / 1000);
  }

  public boolean enabled() {
    return enabled;
  }

  /** Whether a JSON or Prometheus file is written, socket or not. */
  public boolean writesFiles() {
    return json != null || prometheus != null;
  }

  /** The agent's one per-socket table, of {@code ledger.max.sockets} records. */
  public SocketRecords newRecords() {
    return new SocketRecords(maxSockets);
  }

  /**
   * The ledger the hooks feed, sized by the caps, following sockets in {@code records} and naming
   * sites in {@code callSites}.
   */
  public PortLedger newLedger(SocketRecords records, CallSites callSites) {
    return new PortLedger(maxDestinations, records, callSites);
  }

  /** The warning threshold in ports for a pool of {@code pool} ports (at least 1). */
  public int warnThreshold(int pool) {
    return threshold(warnHeadroom, pool);
  }

  static int threshold(String text, int pool) {
    if (text.endsWith("%")) {
      long percent = Long.parseLong(text.substring(0, text.length() - 1));
      return (int) Math.max(1, (pool * percent + 99) / 100);
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Long.parseLong(text)));
  }
}
