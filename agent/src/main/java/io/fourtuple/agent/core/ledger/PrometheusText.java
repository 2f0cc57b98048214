package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.linger.LingerClass;
import io.fourtuple.agent.core.linger.LingerGuard;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One ledger report in the Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector. The metric names are fixed (docs/prometheus.md: dashboards and alerts rely on
 * them); every series carries {@code pid} and {@code jvm}, so that the files of many JVMs in one
 * directory never collide.
 *
 * <p>Cardinality is bounded: at most {@code maxDestinations} destinations get series of their own,
 * the tightest first (the report's order); the rest, and the ledger's own overflow row, are summed
 * under {@code destination="other"}, which has counts but no free ports (a sum of headrooms means
 * nothing, and each of them is at least the last one shown). No timestamps: the textfile collector
 * refuses them.
 */
public final class PrometheusText {
  static final String OTHER = DestinationSeries.OTHER;

  private PrometheusText() {}

  /**
   * @param stats the bind decisions; null writes none
   * @param linger the SO_LINGER counters; null writes none
   */
  public static String render(
      LedgerReport r,
      AgentStats stats,
      LingerGuard linger,
      long pid,
      String jvm,
      int maxDestinations) {
    return render(r, DestinationSeries.of(r, maxDestinations), stats, linger, pid, jvm);
  }

  /**
   * @param series the report's destinations as {@link DestinationSeries#of} made them for this tick
   *     (the per-destination MBeans show the same objects)
   */
  static String render(
      LedgerReport r,
      List<DestinationSeries> series,
      AgentStats stats,
      LingerGuard linger,
      long pid,
      String jvm) {
    String common = "pid=\"" + pid + "\",jvm=\"" + escape(jvm) + "\"";
    StringBuilder out = new StringBuilder(1024 + series.size() * 600);

    family(
        out,
        "fourtuple_destination_ports",
        "gauge",
        "Sockets to the destination in the kernel's table, by TCP state.");
    for (DestinationSeries s : series) {
      if (s.kernelKnown) {
        sample(out, "fourtuple_destination_ports", common, s.label, "state", "established");
        out.append(s.established).append('\n');
        sample(out, "fourtuple_destination_ports", common, s.label, "state", "time_wait");
        out.append(s.timeWait).append('\n');
      }
    }
    family(
        out,
        "fourtuple_destination_free_ports",
        "gauge",
        "Source ports still free for new connections to the destination.");
    for (DestinationSeries s : series) {
      if (s.headroomKnown) {
        sample(out, "fourtuple_destination_free_ports", common, s.label, null, null);
        out.append(s.free).append('\n');
      }
    }
    family(
        out,
        "fourtuple_destination_projected_free_ports",
        "gauge",
        "Free source ports once TIME_WAIT reaches its steady state at the current connect rate.");
    for (DestinationSeries s : series) {
      if (s.headroomKnown) {
        sample(out, "fourtuple_destination_projected_free_ports", common, s.label, null, null);
        out.append(s.projected).append('\n');
      }
    }
    family(
        out,
        "fourtuple_destination_runs_out_in_seconds",
        "gauge",
        "Seconds until the destination runs out of source ports at the current connect rate and"
            + " its trend (0: out now); no sample when there is no forecast within the"
            + " ledger.warn.eta horizon.");
    for (DestinationSeries s : series) {
      if (s.runsOutInSeconds >= 0) {
        sample(out, "fourtuple_destination_runs_out_in_seconds", common, s.label, null, null);
        out.append(s.runsOutInSeconds).append('\n');
      }
    }
    family(
        out,
        "fourtuple_destination_sustainable_connects_per_second",
        "gauge",
        "Connects per second the destination can take for ever (its capacity over the"
            + " port-seconds one connect holds); no sample when unknown.");
    for (DestinationSeries s : series) {
      if (s.sustainablePerSecond >= 0) {
        sample(
            out,
            "fourtuple_destination_sustainable_connects_per_second",
            common,
            s.label,
            null,
            null);
        out.append(s.sustainablePerSecond).append('\n');
      }
    }
    if (r.range != null) {
      family(
          out,
          "fourtuple_source_port_pool",
          "gauge",
          "Usable ephemeral ports (ip_local_port_range minus reserved ports).");
      out.append("fourtuple_source_port_pool{").append(common).append("} ");
      out.append(r.range.usable()).append('\n');
    }
    family(
        out,
        "fourtuple_connects_total",
        "counter",
        "Outbound connections the agent saw to the destination.");
    for (DestinationSeries s : series) {
      sample(out, "fourtuple_connects_total", common, s.label, null, null);
      out.append(s.connects).append('\n');
    }
    family(
        out,
        "fourtuple_connect_failures_total",
        "counter",
        "Failed connects (and binds) to the destination, by errno.");
    for (DestinationSeries s : series) {
      for (Map.Entry<String, Long> f : s.failures.entrySet()) {
        sample(out, "fourtuple_connect_failures_total", common, s.label, "cause", f.getKey());
        out.append(f.getValue()).append('\n');
      }
    }
    if (linger != null) {
      family(
          out,
          "fourtuple_linger_sets_total",
          "counter",
          "SO_LINGER settings seen, by how the agent classified them.");
      for (LingerClass c : LingerClass.values()) {
        out.append("fourtuple_linger_sets_total{").append(common).append(",class=\"");
        out.append(c.name().toLowerCase(Locale.ROOT)).append("\"} ");
        out.append(linger.sets(c)).append('\n');
      }
      family(
          out,
          "fourtuple_linger_close_blocked_seconds_total",
          "counter",
          "Time close() spent on sockets with SO_LINGER on.");
      out.append("fourtuple_linger_close_blocked_seconds_total{").append(common).append("} ");
      out.append(linger.closeNanos() / 1e9).append('\n');
    }
    if (stats != null) {
      family(
          out,
          "fourtuple_rewrites_total",
          "counter",
          "Binds the agent decided on, by socket API and decision.");
      for (Api api : Api.values()) {
        for (BindOutcome o : BindOutcome.values()) {
          long n = stats.binds(api, o);
          if (n > 0) {
            out.append("fourtuple_rewrites_total{").append(common).append(",api=\"");
            out.append(escape(api.toString())).append("\",decision=\"");
            out.append(o.name().toLowerCase(Locale.ROOT)).append("\"} ");
            out.append(n).append('\n');
          }
        }
      }
    }
    return out.toString();
  }

  /** The main class or jar of {@code sun.java.command} (the jar's file name), or "unknown". */
  public static String jvmName(String command) {
    String first = command == null ? "" : command.trim().split("\\s+", 2)[0];
    if (first.isEmpty()) {
      return "unknown";
    }
    if (first.endsWith(".jar")) {
      int slash = first.lastIndexOf('/');
      return first.substring(slash + 1);
    }
    return first;
  }

  /** The errno name for a failure label ({@code EADDRNOTAVAIL}), or the label in snake case. */
  static String cause(ConnectFailure f) {
    return DestinationSeries.cause(f);
  }

  private static void family(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(
      StringBuilder out, String name, String common, String destination, String key, String value) {
    out.append(name).append('{').append(common).append(",destination=\"");
    out.append(escape(destination)).append('"');
    if (key != null) {
      out.append(',').append(key).append("=\"").append(escape(value)).append('"');
    }
    out.append("} ");
  }

  /** A label value: backslash, double quote and line feed escaped, as the format requires. */
  static String escape(String value) {
    StringBuilder out = null;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String replacement = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : null;
      if (replacement != null && out == null) {
        out = new StringBuilder(value.length() + 8).append(value, 0, i);
      }
      if (out != null) {
        if (replacement != null) {
          out.append(replacement);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? value : out.toString();
  }
}
