package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Widely used client libraries, unchanged, each pinning its source address through its own setting,
 * against real servers (nginx, PostgreSQL, a grpc-java server) in one network namespace with a
 * 10-port range: {@code scripts/clients.sh} runs each once without and once with the agent, and the
 * runner counts the ESTABLISHED connections in the kernel's table while all are held. Without the
 * agent the whole client holds at most R = 10 whatever the number of destinations; with it R per
 * destination, and every request on a held connection still returns the right answer (body CRC, the
 * addresses PostgreSQL saw, the health status).
 *
 * <p>One JDK (17) is enough: the libraries, not the JDK, are what varies here; the JDK matrix is
 * covered by the socket-level tests. Reactor Netty and gRPC run Netty's native epoll transport, so
 * their "with" numbers need the agent's Netty epoll hooks.
 *
 * <p>Needs root, nginx and PostgreSQL; without root the test is skipped with the reason printed; a
 * missing server fails it under {@code -Dit.requireServers=true} (CI) and skips it otherwise.
 */
class ThirdPartyClientsTest {
  static final int DESTINATIONS = 3;
  static final int PER_DESTINATION = 10;
  static final Path SCRIPT =
      Paths.get(System.getProperty("it.clientsScript", "../scripts/clients.sh"));

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"apache-httpclient", "pgjdbc", "reactor-netty", "grpc-netty-shaded"})
  void holdsRangeTimesDestinationsWithTheAgentAndEveryRequestSucceeds(String client)
      throws Exception {
    Jdk jdk = Jdk.matrix().stream().filter(j -> j.label().equals("17")).findFirst().orElseThrow();
    ChildJvm.on(jdk); // skips (or fails in CI) without JDK 17 or network namespaces
    requireServer(client);

    String output = runScript(client, jdk);
    Map<String, String> without = result(output, client, "without");
    Map<String, String> with = result(output, client, "with");
    int attempted = DESTINATIONS * PER_DESTINATION;

    // Without the agent: bind(ip, 0) reserves each port for all destinations, so the whole client
    // holds at most the range, and the rest fail at bind.
    assertEquals(attempted, number(without, "attempted"), output);
    assertTrue(number(without, "held") <= RANGE, output);
    assertTrue(number(without, "held") > 0, output);
    assertEquals(attempted - number(without, "opened"), number(without, "failures"), output);
    assertTrue(number(without, "failures") >= attempted - RANGE, output);
    assertTrue(output.contains("Address already in use"), output);
    assertEquals(number(without, "opened"), number(without, "requestsOk"), output);

    // With the agent: R per destination, each request answered correctly.
    assertEquals(RANGE * DESTINATIONS, number(with, "held"), output);
    assertEquals(
        String.join(",", Collections.nCopies(DESTINATIONS, "" + RANGE)),
        with.get("heldPerDestination"),
        output);
    assertEquals(0, number(with, "failures"), output);
    assertEquals(attempted, number(with, "requestsOk"), output);
    assertEquals(0, number(with, "requestsWrong"), output);

    if (client.equals("reactor-netty")) {
      // The point of this client: Netty's native epoll transport, not NIO.
      assertEquals("true", without.get("epollAvailable"), output);
      assertEquals("EpollSocketChannel", without.get("channel"), output);
      assertEquals("EpollSocketChannel", with.get("channel"), output);
      // Reactor Netty creates the channel on the subscribing thread and connects on the event
      // loop: the call site is the client's own subscribe, not a Netty or Reactor frame.
      assertTopCallSites(output, "io.fourtuple.clients.ReactorNettyHttp.open(");
    }
    if (client.equals("grpc-netty-shaded")) {
      assertEquals("true", without.get("epollAvailable"), output);
      // The relocated copy's native bind failed: gRPC ran its shaded epoll transport.
      assertTrue(
          output.contains("io.grpc.netty.shaded.io.netty.channel.unix.Errors$NativeIoException"),
          output);
      // gRPC creates the channel (its relocated Netty's) where the call starts the transport.
      assertTopCallSites(output, "io.fourtuple.clients.GrpcNettyShaded.check(");
    }
  }

  /**
   * Each destination's top call site in the agent's exit summary (the "with" run's rows, relayed by
   * the script) is the client's own method that asked for the connection.
   */
  private static void assertTopCallSites(String output, String site) {
    int rows = 0;
    for (String line : output.split("\n")) {
      if (line.startsWith("# 127.0.0.1:")) {
        rows++;
        assertTrue(line.trim().endsWith(")") && line.contains("  " + site), line);
      }
    }
    assertEquals(DESTINATIONS, rows, output);
  }

  private static void requireServer(String client) throws IOException {
    String missing = null;
    if (client.equals("pgjdbc")) {
      boolean found = false;
      Path base = Paths.get("/usr/lib/postgresql");
      if (Files.isDirectory(base)) {
        try (DirectoryStream<Path> versions = Files.newDirectoryStream(base)) {
          for (Path version : versions) {
            found |= Files.isExecutable(version.resolve("bin/postgres"));
          }
        }
      }
      missing =
          found ? null : "PostgreSQL (/usr/lib/postgresql/*/bin/postgres; Debian: postgresql)";
    } else if (client.equals("apache-httpclient") || client.equals("reactor-netty")) {
      boolean found = false;
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        found |= Files.isExecutable(Paths.get(dir, "nginx"));
      }
      found |= Files.isExecutable(Paths.get("/usr/sbin/nginx"));
      missing = found ? null : "nginx (Debian: nginx-light)";
    }
    if (missing != null) {
      String message = client + " needs its server: " + missing + " not found";
      if (Boolean.getBoolean("it.requireServers")) {
        fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
  }

  private static String runScript(String client, Jdk jdk) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                "bash",
                SCRIPT.toAbsolutePath().toString(),
                "--client",
                client,
                "--java",
                jdk.java().toString(),
                "--agent",
                ChildJvm.AGENT.toAbsolutePath().toString(),
                "--destinations",
                "" + DESTINATIONS,
                "--per-destination",
                "" + PER_DESTINATION)
            .redirectErrorStream(true);
    builder.environment().put("SKIP_BUILD", "1"); // the build before this test made the jars
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("FOURTUPLE_") || k.startsWith("JAVA_TOOL"));
    Path log = Files.createTempFile("fourtuple-clients", ".out");
    try {
      Process process = builder.redirectOutput(log.toFile()).start();
      if (!process.waitFor(240, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("clients.sh did not finish in 240 s:\n" + Files.readString(log));
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);
      assertEquals(0, process.exitValue(), () -> "clients.sh exit code\n" + output);
      return output;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** The RESULT line of one run, as key=value pairs. */
  private static Map<String, String> result(String output, String client, String label) {
    for (String line : output.split("\n")) {
      if (line.startsWith("RESULT ")
          && line.contains(" client=" + client + " ")
          && line.contains(" label=" + label + " ")) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : line.substring(7).trim().split("\\s+")) {
          int eq = pair.indexOf('=');
          out.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return out;
      }
    }
    fail("no RESULT line for " + client + " " + label + "\n" + output);
    return Map.of();
  }

  private static int number(Map<String, String> result, String key) {
    String value = result.get(key);
    if (value == null) {
      fail("RESULT has no " + key + ": " + result);
    }
    return Integer.parseInt(value);
  }
}
