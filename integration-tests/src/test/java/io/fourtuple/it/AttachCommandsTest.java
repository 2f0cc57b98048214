package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The attach commands around the happy path, on JDK 17 targets (the attach mechanics per JDK are
 * covered by {@link AttachTest}): detach and attach while the pool is connecting, every kind of bad
 * input, audit mode, and a plain {@code jattach}.
 */
class AttachCommandsTest {

  static Jdk jdk17() {
    return Jdk.matrix().stream().filter(j -> j.label().equals("17")).findFirst().orElseThrow();
  }

  static Jdk jdk(String label) {
    return Jdk.matrix().stream().filter(j -> j.label().equals(label)).findFirst().orElseThrow();
  }

  @Test
  void detachAndAttachWhileThreadsConnectLeaveNoErrorInTheTarget() throws Exception {
    // No pause between cycles: ten threads bind and connect all the time.
    try (ServiceJvm service = ServiceJvm.start(jdk17(), List.of(), "--interval-ms", "0")) {
      String pid = String.valueOf(service.pid());
      service.nextFullCycleHeld();
      for (int i = 0; i < 5; i++) {
        ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
        assertEquals(0, attach.exit(), attach::describe);
        // A whole cycle runs with the rewrite before the detach: proof that this attach took.
        assertEquals(
            RANGE * AttachTest.DESTINATIONS, service.nextFullCycleHeld(), service::describe);
        ServiceJvm.Cli detach = ServiceJvm.cli("detach", pid);
        assertEquals(0, detach.exit(), detach::describe);
        assertFalse(detach.stdout().contains("except"), detach::describe);
      }
      // Still cycling, and back to the original capacity.
      AttachTest.assertHeldTheRange(service);
      assertTrue(service.process.isAlive(), service::describe);
      AttachTest.assertNoTroubleInTarget(service);
    }
  }

  @Test
  void badInputGetsOneClearLineAndLeavesTheTargetUntouched() throws Exception {
    try (ServiceJvm service = ServiceJvm.start(jdk17(), List.of(), "--interval-ms", "300")) {
      String pid = String.valueOf(service.pid());

      expect(ServiceJvm.cli("attach", "--"), 2, "unknown option --");
      expect(ServiceJvm.cli("attach", ""), 2, "is neither a pid nor a main class name");
      expect(ServiceJvm.cli("attach", "-5"), 2, "is not a process id");
      expect(ServiceJvm.cli("attach", "999999999"), 4, "no such process: 999999999");
      expect(ServiceJvm.cli("attach"), 2, "usage: java -jar fourtuple-agent.jar attach");
      expect(ServiceJvm.cli("attach", pid, "mode=enfroce"), 2, "mode='enfroce'");
      expect(ServiceJvm.cli("attach", pid, "moed=audit"), 2, "did you mean 'mode'");
      expect(ServiceJvm.cli("attach", pid, "command=detach"), 2, "set by the command line itself");
      expect(ServiceJvm.cli("attach", pid, "--frobnicate"), 2, "unknown option --frobnicate");
      expect(ServiceJvm.cli("audit", pid, "--duration", "forever"), 2, "is not a duration");
      expect(ServiceJvm.cli("status", pid), 3, "fourtuple is not attached to this JVM");
      expect(ServiceJvm.cli("detach", pid), 3, "fourtuple is not attached to this JVM");
      expect(
          ServiceJvm.cli("attach", "NoSuchMainClassAnywhere"),
          4,
          "no JVM of this user has a main class");

      // A process that is not a JVM: refused from /proc, never sent the attach signal (which would
      // kill it).
      Process sleeper = new ProcessBuilder("sleep", "60").start();
      try {
        expect(
            ServiceJvm.cli("attach", String.valueOf(sleeper.pid())),
            4,
            "is not a Java virtual machine");
        assertTrue(sleeper.isAlive());
      } finally {
        sleeper.destroy();
      }

      // Untouched: no agent line in its output, and the pool still holds R.
      AttachTest.assertHeldTheRange(service);
      assertFalse(service.stderr().contains("fourtuple"), service::describe);
    }
  }

  @Test
  void aJvmWithAttachDisabledIsRefusedWithoutSignallingIt() throws Exception {
    try (ServiceJvm service =
        ServiceJvm.start(jdk17(), List.of("-XX:+DisableAttachMechanism"), "--interval-ms", "300")) {
      ServiceJvm.Cli cli = ServiceJvm.cli("attach", String.valueOf(service.pid()));
      expect(cli, 4, "-XX:+DisableAttachMechanism");
      AttachTest.assertHeldTheRange(service);
      // SIGQUIT would have made it print a thread dump.
      assertFalse(service.stdout().contains("Full thread dump"), service::describe);
    }
  }

  @Test
  void auditReportsPerCallSiteAndChangesNothing() throws Exception {
    for (String label : List.of("8", "17")) {
      try (ServiceJvm service = ServiceJvm.start(jdk(label), List.of(), "--interval-ms", "300")) {
        String pid = String.valueOf(service.pid());
        service.nextFullCycleHeld();
        int from = service.stdoutSize();
        ServiceJvm.Cli audit = ServiceJvm.cli("audit", pid, "--duration", "3s");
        int to = service.stdoutSize();
        assertEquals(0, audit.exit(), audit::describe);
        String report = audit.stdout();
        assertTrue(report.startsWith("fourtuple audit report for pid " + pid), audit::describe);
        assertTrue(report.contains("LegacyService$PoolWorker.refill(LegacyService.java:"), report);
        assertTrue(report.contains("binds to [127.0.0.1:0] before connect"), report);
        // Which backends win the shared ports is up to the scheduler (one worker may take them
        // all); a bind that fails never names its destination.
        java.util.regex.Matcher reached =
            java.util.regex.Pattern.compile(
                    "toward:  (\\d+) destinations reached: 127\\.0\\.0\\.1:200")
                .matcher(report);
        assertTrue(reached.find(), report);
        int d = Integer.parseInt(reached.group(1));
        assertTrue(d >= 1 && d <= 10, report);
        assertTrue(
            report.contains("failed with EADDRINUSE (Address already in use) at bind"), report);
        assertTrue(
            report.contains(
                "would set IP_BIND_ADDRESS_NO_PORT before this bind, so the port is chosen at"
                    + " connect and shared per destination: with 10 ephemeral ports and the "
                    + d
                    + " destinations reached so far, room for "
                    + 10 * d
                    + " connections instead of 10 in total"),
            report);
        assertTrue(
            report.contains("fix:     configuration: run with fourtuple in enforce mode"), report);
        assertTrue(audit.stderr().contains("detached from pid " + pid), audit::describe);

        // Nothing changed while it watched: every cycle held R, all the kernel allows without the
        // rewrite (each cycle starts from a free range).
        List<String> lines = service.capacityLines();
        assertTrue(lines.size() > 3, service::describe);
        for (String line : lines) {
          assertEquals(RANGE, ServiceJvm.held(line), () -> line + "\n" + service.describe());
        }
        assertTrue(to > from, service::describe);
        expect(ServiceJvm.cli("status", pid), 3, "has been detached");

        ServiceJvm.Cli json = ServiceJvm.cli("audit", pid, "--duration", "1s", "--json");
        assertEquals(0, json.exit(), json::describe);
        assertTrue(json.stdout().contains("\"kind\":\"BIND_PORT_ZERO\""), json::describe);
        assertTrue(json.stdout().contains("\"mode\":\"audit\""), json::describe);
        assertTrue(json.jsonNumber("connected") > 0, json::describe);
        AttachTest.assertNoTroubleInTarget(service);
      }
    }
  }

  @Test
  void aJvmInAnotherMountNamespaceIsReachedThroughItsOwnRoot() throws Exception {
    // Like a container: its own /tmp (attach socket, hsperfdata) and no view of the agent's jar.
    try (ServiceJvm service = ServiceJvm.startInMountNamespace(jdk17(), "--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      AttachTest.assertHeldTheRange(service);
      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
      assertEquals(0, attach.exit(), attach::describe);
      assertEquals(RANGE * AttachTest.DESTINATIONS, service.nextFullCycleHeld(), service::describe);
      ServiceJvm.Cli status = ServiceJvm.cli("status", pid, "--json");
      assertEquals(0, status.exit(), status::describe);
      assertTrue(status.stdout().contains("\"mode\":\"enforce\""), status::describe);
      // The jar the JVM holds open is the copy the command line put in a private directory of its
      // /tmp (SecurityTest covers what else may be there).
      boolean copyOpen = false;
      try (var fds = Files.list(Paths.get("/proc/" + pid + "/fd"))) {
        for (Path fd : (Iterable<Path>) fds::iterator) {
          try {
            copyOpen |= Files.readSymbolicLink(fd).toString().startsWith("/tmp/fourtuple-cli-");
          } catch (java.io.IOException closed) {
            // gone meanwhile
          }
        }
      }
      assertTrue(copyOpen, service::describe);
      expect(ServiceJvm.cli("detach", pid), 0, "original bytecode restored");
      AttachTest.assertHeldTheRange(service);
    }
  }

  @Test
  void plainJattachAttachesAndDetaches() throws Exception {
    Path jattach = Paths.get("/usr/bin/jattach");
    if (!Files.isExecutable(jattach)) {
      System.err.println("SKIPPED: jattach is not installed (apt-get install jattach)");
      Assumptions.abort("jattach is not installed (apt-get install jattach)");
    }
    try (ServiceJvm service = ServiceJvm.start(jdk17(), List.of(), "--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      AttachTest.assertHeldTheRange(service);
      String jar = ChildJvm.AGENT.toAbsolutePath().toString();
      run(jattach.toString(), pid, "load", "instrument", "false", jar);
      assertEquals(RANGE * AttachTest.DESTINATIONS, service.nextFullCycleHeld(), service::describe);
      run(jattach.toString(), pid, "load", "instrument", "false", jar + "=command=detach");
      AttachTest.assertHeldTheRange(service);
      assertTrue(
          service.stderr().contains("fourtuple detached from pid " + pid), service::describe);
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> String.join(" ", command) + "\n" + out);
  }

  private static void expect(ServiceJvm.Cli cli, int exit, String text) {
    assertEquals(exit, cli.exit(), cli::describe);
    String all = cli.stdout() + cli.stderr();
    assertTrue(all.contains(text), cli::describe);
    // One clear line: no stack trace.
    assertFalse(all.contains("\tat "), cli::describe);
  }
}
