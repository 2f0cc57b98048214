package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.AgentStats;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.OutputFiles;
import io.fourtuple.agent.platform.ProcessId;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.slf4j.Logger;

/**
 * The {@code ledger.prometheus.file} output: {@link PrometheusText} written at every ledger tick
 * and at exit through {@link OutputFiles#replace} (a temporary file in the same directory renamed
 * over the target, as node_exporter's textfile collector requires), and removed when the agent
 * stops if the user asked for it.
 *
 * <p>Mode 0644, unlike the agent's other files: node_exporter runs as a user of its own, and its
 * collector must read the file (docs/security.md). Runs on the ledger thread or the exit hook only.
 */
final class PrometheusFile {
  private final LedgerSettings settings;
  private final AgentStats stats;
  private final LingerGuard linger;
  // Resolved at the first tick, on the ledger thread: nothing of it on the way to main.
  private Path path;
  private long pid;
  private String jvm;
  private String problem;

  PrometheusFile(LedgerSettings settings, AgentStats stats, LingerGuard linger) {
    this.settings = settings;
    this.stats = stats;
    this.linger = linger;
  }

  private Path path() {
    if (path == null) {
      pid = ProcessId.current();
      jvm = PrometheusText.jvmName(System.getProperty("sun.java.command"));
      path = Paths.get(settings.prometheus.replace("{pid}", String.valueOf(pid)));
    }
    return path;
  }

  /**
   * Writes the report; at exit, removes the file instead when asked to. A failure is logged when it
   * first happens (not at every tick), and again if another follows a success.
   */
  void tick(LedgerReport report, List<DestinationSeries> series, boolean atExit, Logger log) {
    try {
      Path target = path();
      if (atExit && settings.prometheusRemove) {
        OutputFiles.remove(target);
      } else {
        OutputFiles.replace(
            target,
            PrometheusText.render(report, series, stats, linger, pid, jvm),
            OutputFiles.READABLE_BY_ALL);
      }
      problem = null;
    } catch (Exception e) {
      String now = e.toString();
      if (!now.equals(problem)) {
        log.warn("port ledger Prometheus file {} not written: {}", path, now);
      }
      problem = now;
    }
  }

  /** At detach: the file would go stale, so it goes when the user asked for removal at exit. */
  void detached(Logger log) {
    if (settings.prometheusRemove && path != null) {
      try {
        OutputFiles.remove(path);
      } catch (Exception e) {
        log.warn("port ledger Prometheus file {} not removed: {}", path, e.toString());
      }
    }
  }
}
