package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The ledger's forecast ({@code ledger.warn.eta}) on the real kernel: ten JVMs, each in its own
 * network namespace with a 600-port range (60000–60599) and {@code tcp_tw_reuse} off, ramp their
 * connect rate toward one destination, 1 + 0.05·t per second with the client closing first, until
 * connect() fails with EADDRNOTAVAIL (about 210 s in: the last 60 s of connects fill the range); an
 * eleventh runs a steady 5 connects/s, half of what the range sustains. Each ramp's first forecast
 * warning must come at least 60 s before its first failure, and the steady run must get no warning
 * at all.
 *
 * <p>The lead is measured from the child's own clock (the agent's log line and the sample's
 * FIRST_FAILURE line carry wall-clock milliseconds from the same process), so a loaded machine that
 * delays both changes nothing. The forecast is arithmetic over the ledger's ticks, the same on
 * every JDK, so this runs on JDK 17 only. {@code -Dit.forecast.steadySeconds=600} makes the steady
 * run the 10 minutes (default 240 s, about as long as the ramps). Needs root for the
 * namespaces; skipped with the reason otherwise.
 */
class ForecastTest {
  static final String APP = "io.fourtuple.samples.ConnectRamp";
  static final int RAMPS = 10;

  @Test
  void warnsAMinuteBeforeRampsRunOutAndNeverOnASteadyHalfLoad() throws Exception {
    Jdk jdk = null;
    for (Jdk j : Jdk.matrix()) {
      if (j.label().equals("17")) {
        jdk = j;
      }
    }
    int steadySeconds = Integer.getInteger("it.forecast.steadySeconds", 240);
    List<ChildJvm> children = new ArrayList<>();
    for (int i = 0; i <= RAMPS; i++) {
      children.add(
          ChildJvm.on(jdk)
              .ephemeralRange(60000, 60599)
              .noTimeWaitReuse()
              .timeout(Math.max(420, steadySeconds + 120))
              .jvmArg("-Xmx64m")
              .jvmArg("-XX:+UseSerialGC")
              .jvmArg("-XX:TieredStopAtLevel=1")
              .agent("ledger.interval=2s,ledger.summary.interval=off"));
    }
    ExecutorService pool = Executors.newFixedThreadPool(RAMPS + 1);
    List<Future<ChildJvm.Run>> runs = new ArrayList<>();
    try {
      for (int i = 0; i < RAMPS; i++) {
        ChildJvm child = children.get(i);
        runs.add(
            pool.submit(
                () -> child.run(APP, "--rate", "1", "--slope", "0.05", "--seconds", "330")));
      }
      ChildJvm steady = children.get(RAMPS);
      runs.add(
          pool.submit(
              () ->
                  steady.run(
                      APP,
                      "--rate",
                      "5",
                      "--slope",
                      "0",
                      "--seconds",
                      String.valueOf(steadySeconds))));
      List<String> leads = new ArrayList<>();
      for (int i = 0; i < RAMPS; i++) {
        ChildJvm.Run run = runs.get(i).get();
        run.assertSucceeded();
        String failure = null;
        for (String line : run.stdout().split("\n")) {
          if (line.startsWith("FIRST_FAILURE ")) {
            failure = line;
          }
        }
        assertNotNull(failure, () -> "the ramp never ran out\n" + run.describe());
        assertTrue(failure.contains("Cannot_assign_requested_address"), failure);
        long failedAt = Long.parseLong(failure.replaceAll(".*epochMillis=(\\d+).*", "$1"));
        String warning = firstForecastWarning(run);
        assertNotNull(warning, () -> "no forecast warning\n" + run.describe());
        long warnedAt = Instant.parse(warning.substring(0, warning.indexOf(' '))).toEpochMilli();
        long lead = failedAt - warnedAt;
        leads.add(
            String.format(
                "run %d: warned %.0f s before the first failure (at %s s), %s",
                i + 1,
                lead / 1000.0,
                failure.replaceAll(".*elapsedMillis=(\\d+)\\d{3}.*", "$1"),
                warning.substring(
                    warning.indexOf("runs out"),
                    warning.indexOf(':', warning.indexOf("runs out")))));
        assertTrue(
            lead >= 60_000, () -> "lead " + lead + " ms\n" + warning + "\n" + run.describe());
      }
      System.out.println("FORECAST leads:\n  " + String.join("\n  ", leads));
      ChildJvm.Run run = runs.get(RAMPS).get();
      run.assertSucceeded();
      assertEquals(0, run.number("failed"), run::describe);
      for (String line : run.agentLines()) {
        assertTrue(
            !line.contains(" WARN ") || !line.contains("source ports for"),
            () -> "a warning at half the sustainable rate: " + line + "\n" + run.describe());
      }
      System.out.println(
          "FORECAST steady 5/s for " + steadySeconds + " s: " + run.result() + ", no warning");
    } finally {
      pool.shutdownNow();
    }
  }

  /** The agent's first warning line that carries a forecast ("... runs out in ~N s at ..."). */
  private static String firstForecastWarning(ChildJvm.Run run) {
    for (String line : run.agentLines()) {
      if (line.contains(" WARN ") && line.contains(" runs out ")) {
        return line;
      }
    }
    return null;
  }
}
