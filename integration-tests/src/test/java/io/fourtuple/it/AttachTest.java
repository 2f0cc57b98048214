package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hot attach and detach into a running legacy-style service ({@code LegacyService}: a blocking pool
 * with a configured local address toward D = 10 backends, 10 ephemeral ports), with the command
 * line running on the JDK of the tests (17) and the service on every JDK of the matrix. The kernel
 * decides the numbers: the pool holds R = 10 connections before attach, R x D = 100 after, and R
 * again after detach, which is the proof that the original bytecode runs again. The test steps the
 * service's cycles ({@code --hold stdin}): each count comes from a cycle that started after the
 * attach or detach and from a free range (the service waits for the kernel to release the last
 * cycle's ports), and status is read while the pool holds still, so no number depends on timing.
 */
class AttachTest {
  static final int DESTINATIONS = 10;

  static Stream<Jdk> jdks() {
    return Jdk.matrix().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void attachMultipliesCapacityStatusMatchesKernelDetachRestoresIt(Jdk jdk) throws Exception {
    try (ServiceJvm service =
        ServiceJvm.start(jdk, List.of(), "--hold", "stdin", "--per-destination", "12")) {
      String pid = String.valueOf(service.pid());
      assertHeldTheRange(service);

      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
      assertEquals(0, attach.exit(), attach::describe);
      assertTrue(attach.stdout().contains("attached to pid " + pid), attach::describe);
      if (Integer.parseInt(jdk.label()) >= 21) {
        assertTrue(attach.stderr().contains("JEP 451"), attach::describe);
        assertTrue(attach.stderr().contains("-XX:+EnableDynamicAgentLoading"), attach::describe);
      }
      assertEquals(RANGE * DESTINATIONS, service.nextFullCycleHeld(), service::describe);

      // Status, read while the pool holds this cycle's connections, against the kernel's own table.
      ServiceJvm.Cli status = ServiceJvm.cli("status", pid, "--json");
      Map<String, Integer> kernel = establishedByPeer(service.pid());
      assertEquals(0, status.exit(), status::describe);
      assertEquals(RANGE * DESTINATIONS, status.jsonNumber("outbound"), status::describe);
      assertEquals(kernel, status.establishedPerDestination(), status::describe);
      assertEquals(DESTINATIONS, kernel.size(), kernel::toString);
      // Sockets that were open before attach were counted at attach: 11 listeners + the R pairs
      // held then.
      assertTrue(status.jsonNumber("openAtAgentStart") >= 11, status::describe);
      assertTrue(status.stdout().contains("LegacyService$PoolWorker.refill"), status::describe);
      assertTrue(status.jsonNumber("APPLIED") > 0, status::describe);
      // The port ledger (its last report, or null before its first tick) and the SO_LINGER guard's
      // findings are sections of the same status: the service's health endpoint sets SO_LINGER
      // 1000.
      assertTrue(status.stdout().contains("\"ledger\":"), status::describe);
      assertTrue(status.stdout().contains("\"linger\":{\"findings\":"), status::describe);
      assertTrue(status.stdout().contains("looks like milliseconds"), status::describe);

      ServiceJvm.Cli twice = ServiceJvm.cli("attach", pid, "mode=audit");
      assertEquals(0, twice.exit(), twice::describe);
      assertTrue(twice.stdout().contains("already attached"), twice::describe);
      assertEquals(RANGE * DESTINATIONS, service.nextFullCycleHeld(), service::describe);

      ServiceJvm.Cli detach = ServiceJvm.cli("detach", pid);
      assertEquals(0, detach.exit(), detach::describe);
      assertTrue(detach.stdout().contains("original bytecode restored"), detach::describe);
      assertFalse(detach.stdout().contains("except"), detach::describe);
      assertHeldTheRange(service);

      ServiceJvm.Cli statusAfter = ServiceJvm.cli("status", pid);
      assertEquals(3, statusAfter.exit(), statusAfter::describe);
      assertTrue(statusAfter.stderr().contains("has been detached"), statusAfter::describe);

      // Attach again after detach: same jar, new Instrumentation, the bootstrap zone is reused.
      assertEquals(0, ServiceJvm.cli("attach", pid).exit());
      assertEquals(RANGE * DESTINATIONS, service.nextFullCycleHeld(), service::describe);
      assertEquals(0, ServiceJvm.cli("detach", pid).exit());
      assertHeldTheRange(service);

      assertTrue(service.process.isAlive(), service::describe);
      assertNoTroubleInTarget(service);
    }
  }

  /**
   * The target saw only what its own sockets do (bind and connect failures of the exhausted range):
   * no stack trace, no internal error of the agent, and the NIO health check passed in every cycle.
   */
  static void assertNoTroubleInTarget(ServiceJvm service) {
    for (String line : service.stderr().split("\n")) {
      assertFalse(
          line.startsWith("Exception in thread") || line.startsWith("\tat "), service::describe);
      assertFalse(line.contains("internal error"), service::describe);
    }
    for (String line : service.capacityLines()) {
      assertTrue(line.contains("health=ok"), service::describe);
      String errors = line.substring(line.indexOf("errors=") + 7);
      assertTrue(
          errors.matches("\\{((BindException|ConnectException):[A-Za-z_()]+=\\d+,?_?)*\\}"),
          () -> "unexpected error in " + line + "\n" + service.describe());
    }
  }

  /**
   * The service's client connections per backend, from {@code ss} inside its network namespace: the
   * kernel's answer, read through netlink rather than /proc.
   */
  static Map<String, Integer> establishedByPeer(long pid) throws Exception {
    Process ss =
        new ProcessBuilder(
                "nsenter", "-t", String.valueOf(pid), "-n", "ss", "-tnH", "state", "established")
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ss.waitFor();
    Map<String, Integer> perPeer = new TreeMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4) {
        continue;
      }
      String peer = f[3].replace("[::ffff:", "").replace("]", "");
      int port = Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1));
      if (port >= 20000 && port < 20000 + DESTINATIONS) {
        perPeer.merge(peer, 1, Integer::sum);
      }
    }
    return perPeer;
  }

  /**
   * Without the rewrite the pool holds the range, R: every bind to port 0 reserves a port for all
   * destinations. (The service's own health check, a plain connect from the same range, has let go
   * of its port before the pool opens.)
   */
  static void assertHeldTheRange(ServiceJvm service) {
    assertEquals(RANGE, service.nextFullCycleHeld(), service::describe);
  }
}
