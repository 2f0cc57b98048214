package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Netty's epoll transport, which binds and connects in its own native code: the sample {@code
 * NettyClient} ({@code Bootstrap.localAddress(127.0.0.1, 0)}) in child JVMs in a network namespace
 * with R = 10 ephemeral ports and D = 10 local servers, on the application's own Netty: 4.1 before
 * Netty's public {@code Socket.setIntOpt} (4.1.60), 4.1 latest and 4.2 latest. Connections are
 * counted by the kernel ({@code /proc/net/tcp[6]}, ESTABLISHED, read by the sample while it holds
 * them) and each one proves itself with a 4-byte echo; Netty's own {@code
 * EpollChannelOption.IP_BIND_ADDRESS_NO_PORT} reads the option back with getsockopt.
 *
 * <p>4.1 latest runs on the whole JDK matrix; the other versions and the other paths on JDK 17 (and
 * 4.2 on 25), to keep the run short.
 */
class NettyEpollTest {
  static final String APP = "io.fourtuple.samples.netty.NettyClient";
  static final int DESTINATIONS = 10;
  static final int ATTEMPTS = 12;

  static final String OLD = System.getProperty("it.netty.old", "4.1.60.Final");
  static final String LATEST_41 = System.getProperty("it.netty.latest41", "4.1.137.Final");
  static final String LATEST_42 = System.getProperty("it.netty.latest42", "4.2.18.Final");

  static ChildJvm child(Jdk jdk, String netty) {
    Path dir = Paths.get(System.getProperty("it.nettyDir", "target/netty")).resolve(netty);
    assertTrue(Files.isDirectory(dir), "Netty jars copied by the build: " + dir.toAbsolutePath());
    Path sample =
        Paths.get(
            System.getProperty(
                "it.sampleNettyJar", "../sample-netty/target/fourtuple-sample-netty.jar"));
    return ChildJvm.on(jdk).classpath(sample.toAbsolutePath() + ":" + dir.toAbsolutePath() + "/*");
  }

  static Jdk jdk(String label) {
    return Jdk.matrix().stream().filter(j -> j.label().equals(label)).findFirst().orElseThrow();
  }

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  static List<Arguments> otherVersions() {
    List<Arguments> out = new ArrayList<>();
    for (String netty : List.of(OLD, LATEST_42)) {
      for (boolean bindFirst : List.of(false, true)) {
        out.add(Arguments.of(jdk("17"), netty, bindFirst));
      }
    }
    out.add(Arguments.of(jdk("25"), LATEST_42, false));
    out.add(Arguments.of(jdk("8"), OLD, false));
    return out;
  }

  static List<Arguments> ownOptionVersions() {
    return List.of(Arguments.of(jdk("17"), LATEST_41), Arguments.of(jdk("17"), LATEST_42));
  }

  static String[] capacityArgs(String... extra) {
    List<String> args =
        new ArrayList<>(List.of("--destinations", "" + DESTINATIONS, "--attempts", "" + ATTEMPTS));
    args.addAll(List.of(extra));
    return args.toArray(new String[0]);
  }

  /** Every connection held is ESTABLISHED in the kernel table and echoed its 4 bytes. */
  static void assertHeldAndWorking(ChildJvm.Run run, int expected) {
    run.assertSucceeded();
    assertEquals(expected, run.number("connected"), run::describe);
    assertEquals(expected, run.number("kernelEstablished"), run::describe);
    assertEquals(expected, run.number("echoed"), run::describe);
    assertEquals(DESTINATIONS, run.number("destinationsReached"), run::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void bindBeforeConnectHoldsRangeTimesDestinationsWithTheAgent(Jdk jdk) throws Exception {
    ChildJvm.Run without = child(jdk, LATEST_41).run(APP, capacityArgs());
    assertHeldAndWorking(without, RANGE);
    assertEquals("false", without.result().get("noPortReadBack"), without::describe);
    assertTrue(without.stdout().contains("Address already in use"), without::describe);

    ChildJvm.Run with = child(jdk, LATEST_41).agent().run(APP, capacityArgs());
    assertHeldAndWorking(with, RANGE * DESTINATIONS);
    // getsockopt through Netty's own option: the agent set it on the socket.
    assertEquals("true", with.result().get("noPortReadBack"), with::describe);
    // Exhaustion now surfaces per destination, at connect.
    assertTrue(with.stdout().contains("Cannot assign requested address"), with::describe);
    assertTrue(
        with.stderr().contains("IP_BIND_ADDRESS_NO_PORT set: " + DESTINATIONS * ATTEMPTS),
        with::describe);
    assertTopCallSitesAreTheSamples(with);
  }

  /**
   * Every destination's top call site in the exit summary is the sample's own method that asked
   * Netty for the connection, not the event loop's frame where the bind and connect ran: the
   * channel's constructor kept the stack of the thread that made it.
   */
  static void assertTopCallSitesAreTheSamples(ChildJvm.Run run) {
    List<String> rows = new ArrayList<>();
    for (String line : run.stderr().split("\n")) {
      if (line.startsWith("127.0.0.1:2")) { // the exit summary's rows, one per destination
        rows.add(line);
      }
    }
    assertEquals(DESTINATIONS, rows.size(), run::describe);
    for (String row : rows) {
      assertTrue(row.contains(" io.fourtuple.samples.netty.NettyClient."), row);
      assertFalse(row.contains("io.netty."), row);
    }
    assertFalse(run.stderr().contains("AbstractEpollChannel$AbstractEpollUnsafe"), run::describe);
  }

  @ParameterizedTest(name = "{0} Netty {1} bind-first={2}")
  @MethodSource("otherVersions")
  void otherNettyVersionsAndTheBindFirstPath(Jdk jdk, String netty, boolean bindFirst)
      throws Exception {
    String[] args = bindFirst ? capacityArgs("--bind-first") : capacityArgs();
    if (bindFirst) {
      ChildJvm.Run without = child(jdk, netty).run(APP, args);
      assertHeldAndWorking(without, RANGE);
    }
    ChildJvm.Run with = child(jdk, netty).agent().run(APP, args);
    assertHeldAndWorking(with, RANGE * DESTINATIONS);
    assertFalse(with.stderr().contains("could not hook"), with::describe);
    assertTopCallSitesAreTheSamples(with);
  }

  static List<Arguments> nioCases() {
    return List.of(
        Arguments.of(jdk("17"), LATEST_41),
        Arguments.of(jdk("25"), LATEST_42),
        Arguments.of(jdk("8"), OLD));
  }

  /**
   * Netty NIO goes through the JDK's SocketChannel, whose hooks hold R per destination; its
   * channel's constructor keeps the origin under that SocketChannel, so the call sites name the
   * sample too.
   */
  @ParameterizedTest(name = "{0} Netty {1}")
  @MethodSource("nioCases")
  void nioChannelsNameTheApplicationsCallSite(Jdk jdk, String netty) throws Exception {
    ChildJvm.Run with = child(jdk, netty).agent().run(APP, capacityArgs("--transport", "nio"));
    assertHeldAndWorking(with, RANGE * DESTINATIONS);
    assertTopCallSitesAreTheSamples(with);
  }

  static List<Arguments> readBeforeConnectCases() {
    return List.of(
        Arguments.of(jdk("17"), LATEST_41),
        Arguments.of(jdk("25"), LATEST_42),
        Arguments.of(jdk("8"), OLD));
  }

  /**
   * A channel whose local address the application reads between bind and connect gets its port at
   * that read, as without the agent, and reserves it for every destination: both runs hold R, and
   * each port read is the one the connection keeps.
   */
  @ParameterizedTest(name = "{0} Netty {1}")
  @MethodSource("readBeforeConnectCases")
  void readingTheLocalAddressBeforeConnectKeepsNettysBehaviour(Jdk jdk, String netty)
      throws Exception {
    String[] args = capacityArgs("--bind-first", "--read-port-after-bind");
    ChildJvm.Run without = child(jdk, netty).run(APP, args);
    assertHeldAndWorking(without, RANGE);
    assertEquals(RANGE, without.number("portKeptAtConnect"), without::describe);
    ChildJvm.Run with = child(jdk, netty).agent().run(APP, args);
    assertHeldAndWorking(with, RANGE);
    assertEquals(RANGE, with.number("portKeptAtConnect"), with::describe);
    assertTrue(
        with.stderr()
            .contains(
                "local port read before connect "
                    + RANGE
                    + " (port given at the read: JDK behaviour kept)"),
        with::describe);
  }

  @ParameterizedTest(name = "{0} Netty {1}")
  @MethodSource("ownOptionVersions")
  void channelsThatSetNettysOwnOptionAreLeftAlone(Jdk jdk, String netty) throws Exception {
    ChildJvm.Run on = child(jdk, netty).agent().run(APP, capacityArgs("--own-option", "true"));
    assertHeldAndWorking(on, RANGE * DESTINATIONS);
    assertEquals("true", on.result().get("noPortReadBack"), on::describe);
    assertTrue(
        on.stderr()
            .contains("left alone (the application set Netty's IP_BIND_ADDRESS_NO_PORT=true)"),
        on::describe);
    assertFalse(on.stderr().contains("IP_BIND_ADDRESS_NO_PORT set:"), on::describe);

    // false is the application's choice too: the agent does not override it.
    ChildJvm.Run off = child(jdk, netty).agent().run(APP, capacityArgs("--own-option", "false"));
    assertHeldAndWorking(off, RANGE);
    assertEquals("false", off.result().get("noPortReadBack"), off::describe);
    assertTrue(
        off.stderr()
            .contains("left alone (the application set Netty's IP_BIND_ADDRESS_NO_PORT=false)"),
        off::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdk17")
  void auditModeAndTheKillSwitchChangeNothing(Jdk jdk) throws Exception {
    ChildJvm.Run audit = child(jdk, LATEST_41).agent("mode=audit").run(APP, capacityArgs());
    assertHeldAndWorking(audit, RANGE);
    assertEquals("false", audit.result().get("noPortReadBack"), audit::describe);
    assertTrue(
        audit
            .stderr()
            .contains("IP_BIND_ADDRESS_NO_PORT would be set (audit): " + DESTINATIONS * ATTEMPTS),
        audit::describe);
    assertTrue(
        audit
            .stderr()
            .contains("audit: Netty epoll channel binds to 127.0.0.1:0 before connect at"),
        audit::describe);

    ChildJvm.Run off = child(jdk, LATEST_41).agent("netty.enabled=false").run(APP, capacityArgs());
    assertHeldAndWorking(off, RANGE);
    assertFalse(off.stderr().contains("Netty epoll channel"), off::describe);
  }

  static List<Jdk> jdk17() {
    return List.of(jdk("17"));
  }

  static List<Arguments> lingerCases() {
    return List.of(
        Arguments.of(jdk("17"), LATEST_41),
        Arguments.of(jdk("17"), OLD),
        Arguments.of(jdk("21"), LATEST_42));
  }

  @ParameterizedTest(name = "{0} Netty {1}")
  @MethodSource("lingerCases")
  void soLingerMeantAsMillisecondsIsFoundAndFixTurnsItOff(Jdk jdk, String netty) throws Exception {
    String[] args = {"--destinations", "2", "--attempts", "2", "--linger", "1000"};
    ChildJvm.Run warn = child(jdk, netty).agent().run(APP, args);
    warn.assertSucceeded();
    assertEquals(4, warn.number("echoed"), warn::describe);
    // Read back from the kernel through Netty: the application's value is in force.
    assertEquals("1000", warn.result().get("lingerReadBack"), warn::describe);
    assertTrue(
        warn.stderr().contains("SO_LINGER 1000 s set on Netty epoll channel at"), warn::describe);
    assertTrue(warn.stderr().contains("looks like milliseconds"), warn::describe);
    assertTrue(warn.stderr().contains("GlobalEventExecutor"), warn::describe);
    assertTrue(warn.stderr().contains("closes with linger on timed: 4"), warn::describe);

    ChildJvm.Run fix = child(jdk, netty).agent("linger.policy=fix").run(APP, args);
    fix.assertSucceeded();
    assertEquals(4, fix.number("echoed"), fix::describe);
    // Netty reads a socket without linger as -1.
    assertEquals("-1", fix.result().get("lingerReadBack"), fix::describe);
    assertTrue(fix.stderr().contains("policy fix: left off 4"), fix::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void ledgerCountsMatchTheKernelAndServerChannelsAreUntouched(Jdk jdk) throws Exception {
    ChildJvm child = child(jdk, jdk.label().equals("17") ? LATEST_42 : LATEST_41);
    // Netty epoll servers, one of them bound to port 0: it must still get a port from the kernel
    // and accept (the agent never sets the option on a server channel).
    ChildJvm.Run run =
        child
            .agent("ledger.interval=200ms,ledger.summary.interval=off")
            .run(
                APP,
                "--destinations",
                "2",
                "--attempts",
                "3",
                "--netty-servers",
                "--server-port-zero",
                "--mbean");
    run.assertSucceeded();
    assertEquals(6, run.number("echoed"), run::describe);
    int zero = run.number("serverPortZero");
    assertTrue(zero >= ChildJvm.RANGE_LOW && zero <= ChildJvm.RANGE_HIGH, run::describe);
    assertEquals(1, run.number("serverPortZeroEchoed"), run::describe);
    Map<String, Map<String, String>> kernel = LedgerTest.lines(run.stdout(), "KERNEL", "dst");
    Map<String, Map<String, String>> ledger =
        LedgerTest.lines(run.stdout(), "MBEAN-ROW", "destination");
    assertEquals(2, kernel.size(), run::describe);
    for (String dst : kernel.keySet()) {
      String where = dst + "\n" + run.describe();
      assertTrue(ledger.containsKey(dst), where);
      assertEquals("3", kernel.get(dst).get("established"), where);
      // Live from the hooks (connects completed in doConnect or doFinishConnect) = the kernel's
      // count.
      assertEquals(kernel.get(dst).get("established"), ledger.get(dst).get("live"), where);
    }
  }

  static List<Arguments> attachCases() {
    List<Arguments> out = new ArrayList<>();
    for (Jdk jdk : Jdk.matrix()) {
      out.add(Arguments.of(jdk, jdk.label().equals("8") ? OLD : LATEST_42));
    }
    return out;
  }

  /**
   * Hot attach into a JVM whose Netty classes are loaded already (they are retransformed), then
   * detach (their original bytecode is restored): one connection before attach holds its port for
   * every destination, so after attach each destination gets R - 1; after detach a bind finds no
   * free port.
   */
  @ParameterizedTest(name = "{0} Netty {1}")
  @MethodSource("attachCases")
  void hotAttachWeavesLoadedNettyClassesAndDetachRestoresThem(Jdk jdk, String netty)
      throws Exception {
    ChildJvm child = child(jdk, netty);
    if (jdk.label().equals("21")) {
      child.jvmArg("-Djdk.lang.Process.launchMechanism=VFORK"); // see LedgerTest.child
    }
    if (!jdk.label().equals("8")) {
      child.jvmArg("-XX:+EnableDynamicAgentLoading");
    }
    ChildJvm.Run run =
        child.run(APP, capacityArgs("--attach-agent", ChildJvm.AGENT.toAbsolutePath().toString()));
    run.assertSucceeded();
    assertEquals(1, run.number("before"), run::describe);
    assertEquals((RANGE - 1) * DESTINATIONS, run.number("attached"), run::describe);
    assertEquals(0, run.number("detached"), run::describe);
    assertEquals(1 + (RANGE - 1) * DESTINATIONS, run.number("kernelEstablished"), run::describe);
    assertEquals("true", run.result().get("restored"), run::describe);
    assertTrue(
        run.stdout().contains("io.netty.channel.epoll.AbstractEpollChannel,"), run::describe);
    assertTrue(run.stdout().contains("Address already in use"), run::describe);
  }
}
