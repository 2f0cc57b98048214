package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static io.fourtuple.it.ChildJvm.RANGE_HIGH;
import static io.fourtuple.it.ChildJvm.RANGE_LOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus file with the real monitoring stack, from Debian's packages: node_exporter's
 * textfile collector reads the file a service JVM writes (in its own network namespace with the
 * 10-port range), Prometheus scrapes node_exporter and evaluates the alert rules of docs/, and a
 * PromQL query through Prometheus' HTTP API returns the free ports of a destination that the
 * kernel's table in the JVM's namespace confirms. {@code promtool} checks the file and the rules.
 *
 * <p>Needs root (skipped otherwise, saying why) and the packages {@code prometheus} and {@code
 * prometheus-node-exporter} (scripts/test.sh installs them; missing, the test fails). node_exporter
 * and Prometheus listen on loopback ports of the host: the file is what crosses the namespaces, as
 * it does on a real host.
 */
class PrometheusTest {
  static final Path RULES = Paths.get("../docs/prometheus-alerts.yml");
  static final Path DASHBOARD = Paths.get("../docs/grafana-dashboard.json");
  static final int DESTINATIONS = 2;
  static final int PER_DESTINATION = 7;
  static final int BASE_PORT = 21000;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void prometheusScrapesTheFileAndReturnsTheFreePortsTheKernelShows() throws Exception {
    ChildJvm.requireNamespaces();
    String promtool = binary("promtool");
    String prometheus = binary("prometheus");
    String nodeExporter = binary("prometheus-node-exporter");
    assertEquals(0, run(promtool, "check", "rules", RULES.toAbsolutePath().toString()).exit);
    assertTrue(MiniJson.parse(Files.readString(DASHBOARD)) instanceof Map, "dashboard is JSON");

    Path work = Files.createTempDirectory("fourtuple-prometheus");
    Path textfiles = Files.createDirectory(work.resolve("textfile"));
    try {
      int exporterPort = freePort();
      start(
          nodeExporter,
          "--web.listen-address=127.0.0.1:" + exporterPort,
          "--collector.disable-defaults",
          "--collector.textfile",
          "--collector.textfile.directory=" + textfiles);
      int prometheusPort = freePort();
      Path config = work.resolve("prometheus.yml");
      Files.writeString(
          config,
          "global:\n"
              + "  scrape_interval: 1s\n"
              + "  evaluation_interval: 1s\n"
              + "rule_files:\n"
              + "  - "
              + RULES.toAbsolutePath().normalize()
              + "\n"
              + "scrape_configs:\n"
              + "  - job_name: node\n"
              + "    static_configs:\n"
              + "      - targets: ['127.0.0.1:"
              + exporterPort
              + "']\n");
      start(
          prometheus,
          "--config.file=" + config,
          "--storage.tsdb.path=" + work.resolve("data"),
          "--web.listen-address=127.0.0.1:" + prometheusPort);
      String api = "http://127.0.0.1:" + prometheusPort;
      await("Prometheus ready", () -> get(api + "/-/ready") != null ? "" : null);

      String agent =
          "-javaagent:"
              + ChildJvm.AGENT.toAbsolutePath()
              + "=ledger.interval=200ms,ledger.summary.interval=off,ledger.prometheus.file="
              + textfiles.resolve("fourtuple-{pid}.prom")
              + ",ledger.prometheus.remove.on.exit=true";
      Path file;
      try (ServiceJvm service =
          ServiceJvm.start(
              AttachCommandsTest.jdk17(),
              List.of(agent),
              "--hold",
              "stdin",
              "--destinations",
              String.valueOf(DESTINATIONS),
              "--per-destination",
              String.valueOf(PER_DESTINATION),
              "--base-port",
              String.valueOf(BASE_PORT))) {
        long pid = service.pid();
        file = textfiles.resolve("fourtuple-" + pid + ".prom");
        // The cycle holds its connections from here until the service is closed: a steady state
        // the kernel, the file and Prometheus all see.
        assertEquals(
            DESTINATIONS * PER_DESTINATION, service.nextFullCycleHeld(), service::describe);
        String destination = "127.0.0.1:" + BASE_PORT;
        Kernel kernel = Kernel.read(pid, BASE_PORT);
        assertEquals(PER_DESTINATION, kernel.established, kernel.ss);
        String selector = "{pid=\"" + pid + "\",destination=\"" + destination + "\"}";
        // A scrape after the hold: Prometheus shows the held connections.
        await(
            "Prometheus shows " + PER_DESTINATION + " established to " + destination,
            () ->
                String.valueOf(PER_DESTINATION)
                        .equals(
                            value(
                                api,
                                "fourtuple_destination_ports{pid=\""
                                    + pid
                                    + "\",destination=\""
                                    + destination
                                    + "\",state=\"established\"}"))
                    ? ""
                    : null);
        String free = value(api, "fourtuple_destination_free_ports" + selector);
        assertEquals(
            String.valueOf(RANGE - kernel.inRange - kernel.listenersInRange),
            free,
            () -> "free ports through PromQL vs the kernel's table\n" + kernel.ss);
        assertEquals(String.valueOf(RANGE - PER_DESTINATION), free, kernel.ss);
        assertEquals(
            String.valueOf(RANGE),
            value(api, "fourtuple_source_port_pool{pid=\"" + pid + "\"}"),
            "pool");
        assertEquals(
            "0", value(api, "node_textfile_scrape_error"), "node_exporter read every file");
        assertTrue(
            value(api, "fourtuple_rewrites_total{pid=\"" + pid + "\",decision=\"applied\"}")
                != null,
            "the NO_PORT rewrites are exported");

        Result check = run(promtool, "check", "metrics", "<", file.toString());
        assertEquals(0, check.exit, check.output);
        assertTrue(check.output.isEmpty(), "promtool found problems: " + check.output);
        // The rules ran on these series without an error.
        await(
            "every alert rule evaluated",
            () -> {
              String rules = get(api + "/api/v1/rules");
              return rules != null
                      && rules.contains("\"health\":\"ok\"")
                      && !rules.contains("\"health\":\"err\"")
                      && !rules.contains("\"health\":\"unknown\"")
                  ? ""
                  : null;
            });
        // SIGTERM: the JVM exits cleanly, and its exit tick removes the file.
      }
      assertFalse(Files.exists(file), "removed at exit (ledger.prometheus.remove.on.exit)");
    } finally {
      for (Process p : started) {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      run("rm", "-rf", work.toString());
    }
  }

  /** What {@code ss -tanH} shows in the JVM's network namespace, for one destination port. */
  record Kernel(int established, int inRange, int listenersInRange, String ss) {
    static Kernel read(long pid, int port) throws Exception {
      Result r = run("nsenter", "-t", String.valueOf(pid), "-n", "ss", "-tanH");
      assertEquals(0, r.exit, r.output);
      int established = 0;
      int inRange = 0;
      int listeners = 0;
      for (String line : r.output.split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 5) {
          continue;
        }
        String local = f[3];
        int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1));
        boolean ranged = localPort >= RANGE_LOW && localPort <= RANGE_HIGH;
        if (f[0].equals("LISTEN")) {
          listeners += ranged ? 1 : 0;
        } else if (f[4].endsWith(":" + port)) {
          established += f[0].equals("ESTAB") ? 1 : 0;
          inRange += ranged ? 1 : 0;
        }
      }
      return new Kernel(established, inRange, listeners, r.output);
    }
  }

  /** The single value of an instant query, or null when it has no result. */
  private String value(String api, String query) {
    String body =
        get(api + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    if (body == null) {
      return null;
    }
    Map<?, ?> data = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(body)).get("data");
    List<?> result = (List<?>) data.get("result");
    if (result.isEmpty()) {
      return null;
    }
    assertEquals(1, result.size(), () -> query + " -> " + body);
    List<?> sample = (List<?>) ((Map<?, ?>) result.get(0)).get("value");
    return String.valueOf(sample.get(1));
  }

  /** The body of a 200 answer, or null (not up yet, or another status). */
  private String get(String url) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Polls {@code condition} (null: not yet) for up to 60 s, failing with what the servers said. */
  private void await(String what, Supplier<String> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (condition.get() == null) {
      for (Process p : started) {
        if (!p.isAlive()) {
          fail(what + ": " + p.info().command().orElse("a server") + " exited " + p.exitValue());
        }
      }
      if (System.nanoTime() > deadline) {
        fail("not within 60 s: " + what);
      }
      Thread.sleep(100);
    }
  }

  private void start(String... command) throws IOException {
    started.add(
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start());
  }

  private static String binary(String name) throws Exception {
    Result which = run("sh", "-c", "command -v " + name);
    if (which.exit != 0) {
      fail(
          name
              + " not found: install the Debian packages prometheus and prometheus-node-exporter"
              + " (scripts/test.sh does)");
    }
    return which.output.trim();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  record Result(int exit, String output) {}

  /** Runs a command (through the shell when it has a {@code <} redirection) and waits for it. */
  static Result run(String... command) throws Exception {
    List<String> cmd = List.of(command);
    if (cmd.contains("<")) {
      cmd = List.of("sh", "-c", String.join(" ", command));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("did not finish: " + cmd);
    }
    return new Result(p.exitValue(), out);
  }
}
