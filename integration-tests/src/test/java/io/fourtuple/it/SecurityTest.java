package io.fourtuple.it;

import static io.fourtuple.it.HostileFiles.MARKER;
import static io.fourtuple.it.HostileFiles.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14: a hostile container or neighbour cannot use fourtuple to run code in a JVM or touch the
 * host. Each case runs the sample service in a {@link Container} (own pid, mount and network
 * namespaces, private {@code /tmp}), plants what an attacker would, runs the command line as root
 * from the host, and checks three things: nothing outside the intended files changed (a host
 * directory with a canary that planted links point at, and the container's {@code /tmp}), no
 * planted code ran, and the operator got one clear line.
 */
class SecurityTest {
  @TempDir Path work;

  private Path host;
  private Map<String, String> hostBefore;

  @BeforeEach
  void hostDirectory() throws IOException {
    host = HostileFiles.hostDirectory();
    hostBefore = snapshot(host, name -> false);
  }

  @AfterEach
  void hostUnchanged() throws IOException {
    try {
      assertEquals(hostBefore, snapshot(host, name -> false), "the host directory changed");
    } finally {
      HostileFiles.deleteTree(host);
    }
  }

  static Stream<Jdk> jdks() {
    return Jdk.matrix().stream();
  }

  static Jdk jdk(String label) {
    return AttachCommandsTest.jdk(label);
  }

  private String canary() {
    return host.resolve("canary").toString();
  }

  // ---- the jar handed to the JVM ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void plantedJarsAreNeverLoadedAndTheCopyIsVerified(Jdk jdk) throws Exception {
    long size = Files.size(ChildJvm.AGENT);
    Path planted = work.resolve("planted.jar");
    Files.write(planted, HostileFiles.plantedAgentJar(work, size));
    Path zeros = work.resolve("zeros.jar");
    Files.write(zeros, new byte[(int) size]);
    Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(zeros, PosixFilePermissions.fromString("rw-r--r--"));
    // The names the command line used to write (issue 14), a private-looking directory, and the
    // jar's own name, all made by a neighbour: same size, valid Agent-Class or zeros.
    String old = "/tmp/fourtuple-agent-" + size + ".jar";
    try (ServiceJvm service =
        Container.on(jdk)
            .stage(planted, "planted.jar")
            .stage(zeros, "zeros.jar")
            .plantAsNeighbour("cp /srv/planted.jar " + old)
            .plantAsNeighbour("ln -s " + canary() + " " + old + ".partial")
            .plantAsNeighbour("cp /srv/planted.jar /tmp/fourtuple-agent.jar")
            .plantAsNeighbour(
                "mkdir -m 755 /tmp/fourtuple-cli-planted"
                    + " && cp /srv/zeros.jar /tmp/fourtuple-cli-planted/fourtuple-agent.jar"
                    + " && ln -s "
                    + canary()
                    + " /tmp/fourtuple-cli-planted/reply")
            .start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      Path tmp = containerTmp(service);
      Map<String, String> before = snapshot(tmp, HostileFiles::jvmOwn);

      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
      assertEquals(0, attach.exit(), attach::describe);
      assertTrue(attach.stdout().contains("attached to pid " + pid), attach::describe);
      assertTrue(
          attach.stderr().contains("the agent jar stays at /tmp/fourtuple-cli-"), attach::describe);
      // The JVM runs a fresh copy in a directory of its own, with the operator's jar's content.
      String open = openFourtupleJar(service.pid());
      assertTrue(open.matches("/tmp/fourtuple-cli-[0-9a-f]{20}/fourtuple-agent\\.jar"), () -> open);
      Path copy = tmp.resolve(open.substring("/tmp/".length()));
      assertEquals(
          HostileFiles.sha256(Files.readAllBytes(ChildJvm.AGENT)),
          HostileFiles.sha256(Files.readAllBytes(copy)));
      assertEquals("rwx------", mode(copy.getParent()));
      assertEquals("r--------", mode(copy));
      assertEquals(AttachTest.DESTINATIONS * ChildJvm.RANGE, service.nextFullCycleHeld());

      ServiceJvm.Cli status = ServiceJvm.cli("status", pid);
      assertEquals(0, status.exit(), status::describe);
      ServiceJvm.Cli detach = ServiceJvm.cli("detach", pid);
      assertEquals(0, detach.exit(), detach::describe);
      assertTrue(detach.stderr().contains("removed /tmp/fourtuple-cli-"), detach::describe);

      assertFalse(Files.exists(tmp.resolve(MARKER.substring(5))), "planted code ran");
      assertEquals(before, snapshot(tmp, HostileFiles::jvmOwn), "the container's /tmp");
      AttachTest.assertNoTroubleInTarget(service);
    }
  }

  // ---- links at every name the command line writes ----

  @Test
  void aLinkAtTheAttachTriggerInTheWorkingDirectoryDeletesNothing() throws Exception {
    // The JDK's attach client deletes the canonical path of <cwd>/.attach_pid<pid>: with this link
    // a root attach used to delete the host's canary. The command line never looks there now.
    try (ServiceJvm service =
        Container.on(jdk("17"))
            .workingDirectory("/srv/work")
            .plantAsNeighbour("ln -s " + canary() + " /srv/work/.attach_pid1")
            .start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
      assertEquals(0, attach.exit(), attach::describe);
      assertEquals(0, ServiceJvm.cli("detach", pid).exit());
      assertTrue(Files.isSymbolicLink(Paths.get("/proc/" + pid + "/root/srv/work/.attach_pid1")));
    }
  }

  @Test
  void linksAtTheAttachFilesInTmpAreRefusedBeforeAnySignal() throws Exception {
    for (String name : List.of(".attach_pid1", ".java_pid1")) {
      try (ServiceJvm service = Container.on(jdk("17")).start("--interval-ms", "500")) {
        // Planted once the JVM runs: HotSpot removes a stale .java_pid<pid> when it starts.
        Path link = containerTmp(service).resolve(name);
        Files.createSymbolicLink(link, Paths.get(canary()));
        Files.setAttribute(link, "unix:uid", Container.NEIGHBOUR, LinkOption.NOFOLLOW_LINKS);
        Map<String, String> before = snapshot(containerTmp(service), HostileFiles::jvmOwn);
        ServiceJvm.Cli attach = ServiceJvm.cli("attach", String.valueOf(service.pid()));
        String line = assertOneLine(attach, 4, "/tmp/" + name + " in the file system of process");
        assertTrue(line.contains("a symbolic link of uid " + Container.NEIGHBOUR), line);
        assertUntouched(service, before);
        assertTrue(Files.isSymbolicLink(link));
      }
    }
  }

  @Test
  void aTmpThatIsALinkOutOfTheContainerIsRefused() throws Exception {
    // Inside, /tmp leads to a directory of the container; from the host, through
    // /proc/<pid>/root, the same link leads to the host's directory of that name.
    try (ServiceJvm service =
        Container.on(jdk("17")).tmpIsALinkTo(host.toString()).start("--interval-ms", "500")) {
      ServiceJvm.Cli attach = ServiceJvm.cli("attach", String.valueOf(service.pid()));
      assertOneLine(attach, 4, "is a symbolic link (to " + host + "), not a directory");
      assertNoSignal(service);
    }
  }

  @Test
  void whatAHostileTargetPlantsInThePrivateDirectoryIsNeitherFollowedNorEntered() throws Exception {
    Path impostor = work.resolve("impostor.jar");
    Files.write(impostor, HostileFiles.impostorJar(work, canary()));
    Files.setPosixFilePermissions(impostor, PosixFilePermissions.fromString("rw-r--r--"));
    try (ServiceJvm service =
        Container.on(jdk("17"))
            .classpathFirst(impostor, "impostor.jar")
            .plant("echo link > /srv/impostor-mode")
            .start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      Path mode = Paths.get("/proc/" + pid + "/root/srv/impostor-mode");

      // The reply is a link to the host's canary, with a link to a host directory and a
      // subdirectory beside it.
      ServiceJvm.Cli link = ServiceJvm.cli("attach", pid);
      String refused = assertOneLine(link, 1, "refused to read the answer of process " + pid);
      assertTrue(refused.endsWith("/reply is a symbolic link, not a regular file"), refused);
      assertTrue(
          link.stderr().contains("it holds directories fourtuple did not make (sub)"),
          link::describe);
      Path left = containerTmp(service).resolve(onlyPrivateDirectory(service));
      assertEquals(List.of("fourtuple-agent.jar", "sub"), names(left));
      assertEquals("theirs", Files.readString(left.resolve("sub/inner")));
      removeTree(left);

      // The reply is a FIFO: the command line does not wait on it.
      Files.writeString(mode, "fifo");
      ServiceJvm.Cli fifo = ServiceJvm.cli("attach", pid);
      assertOneLine(fifo, 1, "/reply is a special file, not a regular file");
      assertTrue(
          fifo.stderr().contains("that JVM has the path on its class path for good"),
          fifo::describe);

      // The private directory is moved away and a link to a host directory put in its place.
      Files.writeString(mode, "swap");
      ServiceJvm.Cli swap = ServiceJvm.cli("attach", pid);
      assertOneLine(swap, 1, "/reply is a symbolic link");
      assertTrue(service.stdout().contains("IMPOSTOR planted swap"), service::describe);
    }
  }

  // ---- links at the names the agent writes ----

  @Test
  void theAgentWritesThroughNoLinkAnotherUserPlanted() throws Exception {
    try (ServiceJvm service =
        Container.on(jdk("17"))
            .plantAsNeighbour("ln -s " + canary() + " /tmp/fourtuple.log")
            .plantAsNeighbour("ln -s " + host.resolve("tree") + " /tmp/reports")
            .start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      ServiceJvm.Cli log = ServiceJvm.cli("attach", pid, "log.file=/tmp/fourtuple.log");
      assertOneLine(log, 2, "/tmp/fourtuple.log is a symbolic link");

      ServiceJvm.Cli report =
          ServiceJvm.cli(
              "attach", pid, "ledger.interval=1s,ledger.json.file=/tmp/reports/ledger.json");
      assertEquals(0, report.exit(), report::describe);
      String refused =
          awaitStderr(service, "port ledger JSON report /tmp/reports/ledger.json not written");
      assertTrue(
          refused.contains("/tmp/reports is a symbolic link owned by uid " + Container.NEIGHBOUR),
          refused);
      assertEquals(0, ServiceJvm.cli("detach", pid).exit());
    }
  }

  @Test
  void aReplyOutsideAPrivateDirectoryIsRefusedAndNothingIsDone() throws Exception {
    try (ServiceJvm service = ServiceJvm.start(jdk("17"), List.of(), "--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      assertEquals(0, ServiceJvm.cli("attach", pid).exit());
      Path open = Files.createDirectory(work.resolve("fourtuple-cli-open"));
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
      VirtualMachine vm = VirtualMachine.attach(pid);
      try {
        String jar = ChildJvm.AGENT.toAbsolutePath().toString();
        vm.loadAgent(jar, "command=status,reply=" + canary());
        vm.loadAgent(jar, "command=detach,reply=" + open.resolve("reply"));
      } finally {
        vm.detach();
      }
      String first = awaitStderr(service, "refused command=status: reply=" + canary());
      assertTrue(first.contains("nothing was done"), first);
      String second = awaitStderr(service, "refused command=detach");
      assertTrue(second.contains("has mode 755, not 700"), second);
      assertEquals(List.of(), names(open));
      // Still attached: the refused detach did nothing.
      assertEquals(
          ChildJvm.RANGE * AttachTest.DESTINATIONS, service.nextFullCycleHeld(), service::describe);
      assertEquals(0, ServiceJvm.cli("detach", pid).exit());
    }
  }

  // ---- the target's file system and user ----

  @Test
  void aReadOnlyTmpGetsOneLineAndNoSignal() throws Exception {
    try (ServiceJvm service = Container.on(jdk("17")).readOnlyTmp().start("--interval-ms", "500")) {
      Map<String, String> before = snapshot(containerTmp(service), name -> false);
      ServiceJvm.Cli attach = ServiceJvm.cli("attach", String.valueOf(service.pid()));
      assertOneLine(attach, 4, "(Read-only file system)");
      assertTrue(attach.stderr().contains("load fourtuple with -javaagent"), attach::describe);
      assertEquals(before, snapshot(containerTmp(service), name -> false));
      assertNoSignal(service);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void aJvmOfAnotherUserIsAttachedByRootOnlyWhereItsJdkAllowsIt(Jdk jdk) throws Exception {
    try (ServiceJvm service = Container.on(jdk).asServiceUser().start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      Path tmp = containerTmp(service);
      Map<String, String> before = snapshot(tmp, HostileFiles::jvmOwn);

      // A user who is neither root nor the JVM's: refused from /proc, nothing sent.
      ServiceJvm.Cli neighbour = cliAs(Container.NEIGHBOUR, "attach", pid);
      assertOneLine(
          neighbour,
          4,
          "belongs to uid "
              + Container.SERVICE_USER
              + ", this command runs as uid "
              + Container.NEIGHBOUR);

      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid);
      if (jdk.label().equals("8")) {
        // JDK 8 takes attach from its own user only, and answers root's signal with a thread dump.
        assertOneLine(attach, 4, "runs JDK 8 as uid " + Container.SERVICE_USER);
      } else {
        assertEquals(0, attach.exit(), attach::describe);
        Path copy = tmp.resolve(openFourtupleJar(service.pid()).substring("/tmp/".length()));
        assertEquals(Container.SERVICE_USER, Files.getAttribute(copy, "unix:uid"));
        assertEquals(Container.SERVICE_USER, Files.getAttribute(copy.getParent(), "unix:uid"));
        assertEquals("rwx------", mode(copy.getParent()));
        assertEquals(0, ServiceJvm.cli("status", pid).exit());
        ServiceJvm.Cli detach = ServiceJvm.cli("detach", pid);
        assertEquals(0, detach.exit(), detach::describe);
      }
      assertEquals(before, snapshot(tmp, HostileFiles::jvmOwn), "the container's /tmp");
      assertNoSignal(service);
    }
  }

  // ---- the JVM's own refusals ----

  @Test
  void theJvmsOwnRefusalsGetOneLineAndNoSignal() throws Exception {
    for (String label : List.of("17", "21", "25")) {
      try (ServiceJvm service =
          Container.on(jdk(label))
              .jvmArg("-XX:-EnableDynamicAgentLoading")
              .start("--interval-ms", "500")) {
        ServiceJvm.Cli attach = ServiceJvm.cli("attach", String.valueOf(service.pid()));
        assertOneLine(
            attach, 4, "runs with -XX:-EnableDynamicAgentLoading (from its command line)");
        assertNoSignal(service);
      }
    }
    // -Xrs: no SIGQUIT handler (the signal would end it), but the socket is open from the start.
    try (ServiceJvm service =
        Container.on(jdk("17")).jvmArg("-Xrs").start("--interval-ms", "500")) {
      String pid = String.valueOf(service.pid());
      assertEquals(0, ServiceJvm.cli("attach", pid).exit());
      assertEquals(0, ServiceJvm.cli("detach", pid).exit());
      assertTrue(service.process.isAlive(), service::describe);
      AttachTest.assertHeldTheRange(service);
    }
  }

  // ---- helpers ----

  private static Path containerTmp(ServiceJvm service) {
    return Paths.get("/proc/" + service.pid() + "/root/tmp");
  }

  /** The fourtuple jar the JVM holds open, as it names it. */
  private static String openFourtupleJar(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Paths.get("/proc/" + pid + "/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.contains("fourtuple") && target.endsWith(".jar")) {
            return target;
          }
        } catch (IOException closed) {
          // gone meanwhile
        }
      }
    }
    return "none";
  }

  private static String onlyPrivateDirectory(ServiceJvm service) throws IOException {
    List<String> found = new ArrayList<>();
    for (String name : names(containerTmp(service))) {
      if (name.startsWith("fourtuple-cli-") && !name.equals("fourtuple-cli-planted")) {
        found.add(name);
      }
    }
    assertEquals(1, found.size(), found::toString);
    return found.get(0);
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void removeTree(Path dir) throws IOException {
    HostileFiles.deleteTree(dir);
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * The exit code, and one line about the problem, containing {@code text}; returns it. Besides it
   * only the notes on what the command line left in or removed from the target's file system may
   * appear, and no stack trace.
   */
  private static String assertOneLine(ServiceJvm.Cli cli, int exit, String text) {
    assertEquals(exit, cli.exit(), cli::describe);
    List<String> lines = new ArrayList<>();
    for (String line : HostileFiles.lines(cli.stdout() + cli.stderr())) {
      assertFalse(line.startsWith("\tat "), cli::describe);
      if (!line.startsWith("fourtuple: the agent jar stays at ")
          && !line.startsWith("fourtuple: left ")
          && !line.startsWith("fourtuple: removed ")) {
        lines.add(line);
      }
    }
    assertEquals(1, lines.size(), cli::describe);
    assertTrue(lines.get(0).contains(text), cli::describe);
    return lines.get(0);
  }

  /** No attach signal reached a JVM that would not answer it (it would print a thread dump). */
  private static void assertNoSignal(ServiceJvm service) {
    assertFalse(service.stdout().contains("Full thread dump"), service::describe);
    assertTrue(service.process.isAlive(), service::describe);
  }

  private static void assertUntouched(ServiceJvm service, Map<String, String> before)
      throws IOException {
    assertEquals(before, snapshot(containerTmp(service), HostileFiles::jvmOwn));
    assertNoSignal(service);
  }

  /** The first line of the service's standard error containing {@code text}, waited for. */
  private static String awaitStderr(ServiceJvm service, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (String line : service.stderr().split("\n")) {
        if (line.contains(text)) {
          return line;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no line with '" + text + "' in\n" + service.describe());
  }

  /**
   * The command line run as {@code uid} (not root), from a world-readable copy of the jar in a
   * directory of its own: the checkout may sit in a directory only root can enter (CI clones into a
   * mktemp directory, mode 0700).
   */
  private static ServiceJvm.Cli cliAs(int uid, String... args) throws Exception {
    Path dir = Files.createTempDirectory(Paths.get("/var/tmp"), "fourtuple-as-user");
    Path jar = dir.resolve("fourtuple-agent.jar");
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.copy(ChildJvm.AGENT, jar);
      Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
      return cliAs(uid, dir, jar, args);
    } finally {
      Files.deleteIfExists(jar);
      Files.deleteIfExists(dir);
    }
  }

  private static ServiceJvm.Cli cliAs(int uid, Path dir, Path jar, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            "setpriv",
            "--reuid=" + uid,
            "--regid=" + uid,
            "--clear-groups",
            ProcessHandle.current().info().command().orElse("java"),
            "-jar",
            jar.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    return new ServiceJvm.Cli(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8),
        String.join(" ", cmd));
  }
}
