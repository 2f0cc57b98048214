package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code audit --all} and {@code status --all} over several LegacyService JVMs at once, each in its
 * own network namespace with the 10-port range: what was selected, what each JVM's kernel let it do
 * while audited (nothing changed), who was detached and who was left running fourtuple.
 */
class HostAuditTest {
  static final Path SCHEMA = Paths.get("../docs/host-audit.schema.json");

  @Test
  void auditsTheSelectedJvmsSideBySideAndLeavesEachAsItWas() throws Exception {
    Jdk jdk = AttachCommandsTest.jdk17();
    try (ServiceJvm plain = ServiceJvm.start(jdk, List.of(), "--interval-ms", "300");
        ServiceJvm excluded = ServiceJvm.start(jdk, List.of(), "--interval-ms", "300");
        ServiceJvm running =
            ServiceJvm.start(
                jdk,
                List.of("-javaagent:" + ChildJvm.AGENT.toAbsolutePath() + "=ledger.interval=500ms"),
                "--interval-ms",
                "300");
        ServiceJvm disabled =
            ServiceJvm.start(jdk, List.of("-XX:+DisableAttachMechanism"), "--interval-ms", "300");
        ServiceJvm container = ServiceJvm.startInMountNamespace(jdk, "--interval-ms", "300")) {
      long a = plain.pid();
      long x = excluded.pid();
      long r = running.pid();
      long d = disabled.pid();
      long c = container.pid();
      assertEquals(RANGE * AttachTest.DESTINATIONS, running.nextFullCycleHeld(), running::describe);
      Path json = Files.createTempDirectory("host-audit").resolve("audit.json");

      // The exclude comes first, so it wins over the include that matches every one of them.
      ServiceJvm.Cli audit =
          ServiceJvm.cli(
              "audit",
              "--all",
              "--exclude",
              "^" + x + "$",
              "--include",
              "^(" + a + "|" + x + "|" + r + "|" + d + "|" + c + ")$",
              "--exclude",
              ".",
              "--duration",
              "3s",
              "--json",
              json.toString());
      assertEquals(0, audit.exit(), audit::describe);
      String report = audit.stdout();
      assertTrue(
          report.startsWith(
              "fourtuple host audit: 3 JVM(s) audited for 3 s (2 attached in audit mode and"
                  + " detached, 1 already running fourtuple, read), 1 not audited"),
          audit::describe);
      assertFalse((report + audit.stderr()).contains(" " + x + " "), audit::describe);
      assertTrue(audit.stderr().contains("auditing 3 JVM(s) side by side"), audit::describe);
      assertTrue(audit.stderr().contains("audit 100%"), audit::describe);
      for (long pid : new long[] {a, c}) {
        assertTrue(
            report.contains("pid " + pid + " io.fourtuple.samples.LegacyService (audit):"),
            audit::describe);
        // The agent names its pid as its own namespace knows it: c is 1 inside the container.
        ServiceJvm.Cli after = ServiceJvm.cli("status", String.valueOf(pid));
        assertEquals(3, after.exit(), after::describe);
        assertTrue(after.stderr().contains("has been detached"), after::describe);
      }
      assertTrue(audit.stderr().contains("detached from pid " + a), audit::describe);
      assertTrue(
          report.contains(
              "pid " + r + " io.fourtuple.samples.LegacyService (enforce, already running"),
          audit::describe);
      assertFalse(audit.stderr().contains("detached from pid " + r), audit::describe);
      assertTrue(report.contains("would set IP_BIND_ADDRESS_NO_PORT"), audit::describe);
      assertTrue(
          report.contains("pid " + d + " io.fourtuple.samples.LegacyService: JVM " + d)
              && report.contains("-XX:+DisableAttachMechanism"),
          audit::describe);
      assertTrue(report.contains("SO_LINGER findings:\n  pid "), audit::describe);

      // What the kernel let each one do while it was watched: the audited ones held the range
      // alone (nothing was rewritten), the one running fourtuple kept its rewrite.
      for (ServiceJvm audited : new ServiceJvm[] {plain, container}) {
        for (String line : audited.capacityLines()) {
          assertEquals(RANGE, ServiceJvm.held(line), () -> line + "\n" + audited.describe());
        }
        AttachTest.assertHeldTheRange(audited);
        AttachTest.assertNoTroubleInTarget(audited);
      }
      assertEquals(RANGE * AttachTest.DESTINATIONS, running.nextFullCycleHeld(), running::describe);
      assertFalse(excluded.stderr().contains("fourtuple"), excluded::describe);
      assertFalse(holdsTheAgent(x), excluded::describe);
      assertFalse(disabled.stdout().contains("Full thread dump"), disabled::describe);

      @SuppressWarnings("unchecked")
      Map<String, Object> document = (Map<String, Object>) MiniJson.parse(Files.readString(json));
      @SuppressWarnings("unchecked")
      Map<String, Object> schema = (Map<String, Object>) MiniJson.parse(Files.readString(SCHEMA));
      List<String> problems = MiniJson.validate(document, schema, "$");
      assertTrue(problems.isEmpty(), () -> problems + "\n" + document);
      List<String> how = new ArrayList<>();
      for (Object jvm : (List<?>) document.get("jvms")) {
        how.add(((Map<?, ?>) jvm).get("pid") + "=" + ((Map<?, ?>) jvm).get("how"));
      }
      assertEquals(
          List.of(a + "=attached", c + "=attached", r + "=read").stream().sorted().toList(),
          how.stream().sorted().toList(),
          document::toString);
      Map<?, ?> refused = (Map<?, ?>) ((List<?>) document.get("notAudited")).get(0);
      assertEquals(d, ((Number) refused.get("pid")).longValue(), document::toString);
      // The ranked rows: the fewest free ports first, each with the pool its JVM's namespace has.
      long previous = Long.MIN_VALUE;
      for (Object row : (List<?>) document.get("destinations")) {
        Map<?, ?> headroom = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) row).get("row")).get("headroom");
        long free = ((Number) headroom.get("free")).longValue();
        assertTrue(free >= previous, document::toString);
        previous = free;
        assertEquals(RANGE, ((Number) headroom.get("pool")).intValue(), document::toString);
      }
      assertTrue(previous != Long.MIN_VALUE, document::toString);

      // status --all: one line for the JVM that still runs fourtuple; none for the detached ones.
      ServiceJvm.Cli status = ServiceJvm.cli("status", "--all");
      assertEquals(0, status.exit(), status::describe);
      List<String> ours = new ArrayList<>();
      for (String line : status.stdout().split("\n")) {
        for (long pid : new long[] {a, x, r, d, c}) {
          if (line.startsWith(pid + " ")) {
            ours.add(line);
          }
        }
      }
      assertEquals(1, ours.size(), status::describe);
      assertTrue(ours.get(0).matches(r + " +enforce +17\\S* +-javaagent .*"), status::describe);
      assertTrue(ours.get(0).endsWith("io.fourtuple.samples.LegacyService"), status::describe);
      ServiceJvm.Cli statusJson = ServiceJvm.cli("status", "--all", "--json");
      assertEquals(0, statusJson.exit(), statusJson::describe);
      List<Long> pids = new ArrayList<>();
      for (Object jvm : (List<?>) MiniJson.parse(statusJson.stdout())) {
        pids.add(((Number) ((Map<?, ?>) jvm).get("pid")).longValue());
        assertTrue(((Map<?, ?>) jvm).get("status") instanceof Map, statusJson::describe);
      }
      assertTrue(pids.contains(r) && !pids.contains(a) && !pids.contains(c), statusJson::describe);
    }
  }

  @Test
  void sigtermDuringTheAuditStillDetachesEveryJvm() throws Exception {
    Jdk jdk = AttachCommandsTest.jdk17();
    try (ServiceJvm one = ServiceJvm.start(jdk, List.of(), "--interval-ms", "300");
        ServiceJvm two = ServiceJvm.startInMountNamespace(jdk, "--interval-ms", "300")) {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.addAll(List.of("-jar", ChildJvm.AGENT.toAbsolutePath().toString()));
      cmd.addAll(
          List.of(
              "audit",
              "--all",
              "--include",
              "^(" + one.pid() + "|" + two.pid() + ")$",
              "--exclude",
              ".",
              "--duration",
              "10m"));
      Process cli = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      StringBuilder seen = new StringBuilder();
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          seen.append(line).append('\n');
          if (line.contains("auditing 2 JVM(s) side by side")) {
            cli.toHandle().destroy(); // SIGTERM, and the output stays readable
          }
        }
      }
      assertTrue(cli.waitFor(60, TimeUnit.SECONDS), seen::toString);
      String out = seen.toString();
      assertTrue(out.contains("interrupted, detaching from 2 JVM(s)"), out);
      assertTrue(out.contains("detached from pid " + one.pid()), out);
      for (ServiceJvm service : new ServiceJvm[] {one, two}) {
        ServiceJvm.Cli status = ServiceJvm.cli("status", String.valueOf(service.pid()));
        assertEquals(3, status.exit(), status::describe);
        assertTrue(status.stderr().contains("has been detached"), status::describe);
        AttachTest.assertHeldTheRange(service);
      }
    }
  }

  /** Whether the process holds a fourtuple jar open. */
  private static boolean holdsTheAgent(long pid) throws Exception {
    try (var fds = Files.list(Paths.get("/proc/" + pid + "/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          if (Files.readSymbolicLink(fd).toString().contains("fourtuple-agent")) {
            return true;
          }
        } catch (java.io.IOException closed) {
          // gone meanwhile
        }
      }
    }
    return false;
  }
}
