package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static io.fourtuple.it.NettyEpollTest.APP;
import static io.fourtuple.it.NettyEpollTest.ATTEMPTS;
import static io.fourtuple.it.NettyEpollTest.DESTINATIONS;
import static io.fourtuple.it.NettyEpollTest.LATEST_41;
import static io.fourtuple.it.NettyEpollTest.LATEST_42;
import static io.fourtuple.it.NettyEpollTest.assertHeldAndWorking;
import static io.fourtuple.it.NettyEpollTest.child;
import static io.fourtuple.it.NettyEpollTest.jdk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Netty's io_uring transport, which binds in its own native code and connects through io_uring (no
 * connect(2) at all): the sample {@code NettyClient --transport io_uring} (Netty 4.2's {@code
 * channel.uring}) or {@code io_uring-incubator} (the 4.1 incubator, 0.0.26 on 4.1 latest), in child
 * JVMs in a network namespace with R = 10 ephemeral ports and D = 10 local servers, as {@link
 * NettyEpollTest}. Connections are counted by the kernel ({@code /proc/net/tcp[6]}) and each proves
 * itself with a 4-byte echo.
 *
 * <p>Netty 4.2's io_uring needs JDK 9+ (its classes are version 53): on JDK 8 it must say it is
 * unavailable, and the agent must say nothing wrong; the incubator runs there instead. A kernel
 * that disables io_uring ({@code kernel.io_uring_disabled}) makes Netty fall back: the test says so
 * and is skipped (the sysctl is host-wide, never flipped here). No relocated copy is run:
 * NettyEpollTest has none either; the suffix match is the epoll one (SuffixTableTest).
 */
class NettyIoUringTest {
  static final String URING = "io_uring";
  static final String INCUBATOR = "io_uring-incubator";

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  static String[] args(String transport, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--transport",
                transport,
                "--destinations",
                "" + DESTINATIONS,
                "--attempts",
                "" + ATTEMPTS));
    args.addAll(List.of(extra));
    return args.toArray(new String[0]);
  }

  /** Skips, saying why, when the kernel or Netty has no io_uring here (on JDK 9+). */
  static void assumeAvailable(ChildJvm.Run run, String transport) {
    String error = run.result().get("error");
    Assumptions.assumeTrue(
        error == null,
        () ->
            transport
                + " unavailable here, Netty fell back (kernel.io_uring_disabled?): "
                + run.describe());
  }

  /**
   * With the agent, each destination gets the whole range; without, all share it. The ledger's JSON
   * file counts the connects and the EADDRNOTAVAIL failures per destination, as the kernel saw
   * them. On JDK 8 Netty 4.2's io_uring is unavailable (and the agent says nothing wrong); the
   * incubator runs there.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void bindBeforeConnectHoldsRangeTimesDestinationsWithTheAgent(Jdk jdk) throws Exception {
    String netty = LATEST_42;
    String transport = URING;
    if (jdk.label().equals("8")) {
      ChildJvm.Run old = child(jdk, LATEST_42).agent().run(APP, args(URING));
      old.assertSucceeded();
      assertEquals("io_uring-unavailable", old.result().get("error"), old::describe);
      assertTrue(old.stdout().contains("UnsupportedClassVersionError"), old::describe);
      assertFalse(old.stderr().contains("could not hook"), old::describe);
      assertFalse(old.stderr().contains("internal error"), old::describe);
      assertFalse(old.stderr().contains(" WARN "), old::describe);
      netty = LATEST_41;
      transport = INCUBATOR;
    }
    ChildJvm.Run without = child(jdk, netty).run(APP, args(transport));
    assumeAvailable(without, transport);
    assertHeldAndWorking(without, RANGE);
    assertTrue(without.stdout().contains("Address already in use"), without::describe);

    Path json = Files.createTempFile("fourtuple-uring", ".json");
    try {
      ChildJvm.Run with =
          child(jdk, netty)
              .agent("ledger.summary.interval=off,ledger.json.file=" + json)
              .run(APP, args(transport));
      assertHeldAndWorking(with, RANGE * DESTINATIONS);
      // Exhaustion now surfaces per destination, when io_uring completes the connect.
      assertTrue(
          with.stdout()
              .contains("io_uring connect(..) failed with error(-99): Cannot assign requested"),
          with::describe);
      int failed = DESTINATIONS * (ATTEMPTS - RANGE);
      assertEquals(failed, with.number("failed"), with::describe);
      assertTrue(
          with.stderr()
              .contains(
                  "Netty io_uring channel: binds [IP_BIND_ADDRESS_NO_PORT set: "
                      + DESTINATIONS * ATTEMPTS
                      + "], bind failures [none], connects "
                      + RANGE * DESTINATIONS
                      + " ok, connect failures [EADDRNOTAVAIL (Cannot assign requested address): "
                      + failed
                      + "]"),
          with::describe);
      assertFalse(with.stderr().contains("could not hook"), with::describe);

      String text = Files.readString(json, StandardCharsets.UTF_8);
      Map<?, ?> report = (Map<?, ?>) MiniJson.parse(text);
      assertEquals(
          (long) RANGE * DESTINATIONS, ((Map<?, ?>) report.get("totals")).get("connects"), text);
      List<?> rows = (List<?>) report.get("destinations");
      assertEquals(DESTINATIONS, rows.size(), text);
      for (Object r : rows) {
        Map<?, ?> row = (Map<?, ?>) r;
        assertEquals((long) RANGE, row.get("total"), text);
        assertEquals((long) RANGE, row.get("peak"), text);
        assertEquals(
            (long) (ATTEMPTS - RANGE),
            ((Map<?, ?>) row.get("failures"))
                .get("EADDRNOTAVAIL (Cannot assign requested address)"),
            text);
        assertEquals("bind0+noport", row.get("setup"), text);
        assertEquals(List.of("127.0.0.1"), row.get("sources"), text);
        // The channel's constructor kept the sample's stack: its connects, completed on the event
        // loop, are the sample's.
        Map<?, ?> top = (Map<?, ?>) ((List<?>) row.get("callSites")).get(0);
        assertTrue(
            String.valueOf(top.get("site"))
                .startsWith("io.fourtuple.samples.netty.NettyClient.main("),
            text);
      }
    } finally {
      Files.deleteIfExists(json);
    }
  }

  /**
   * The application's own {@code channel.bind(local)} (io_uring's {@code doBind}), and a read of
   * the local address between bind and connect, which gets its port at the read as without the
   * agent.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdk17")
  void theBindFirstPathAndAPortReadBeforeConnect(Jdk jdk) throws Exception {
    ChildJvm.Run with = child(jdk, LATEST_42).agent().run(APP, args(URING, "--bind-first"));
    assumeAvailable(with, URING);
    assertHeldAndWorking(with, RANGE * DESTINATIONS);

    ChildJvm.Run read =
        child(jdk, LATEST_42)
            .agent()
            .run(APP, args(URING, "--bind-first", "--read-port-after-bind"));
    assertHeldAndWorking(read, RANGE);
    assertEquals(RANGE, read.number("portKeptAtConnect"), read::describe);
    assertTrue(
        read.stderr()
            .contains(
                "local port read before connect "
                    + RANGE
                    + " (port given at the read: JDK behaviour kept)"),
        read::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdk17")
  void auditModeAndTheKillSwitchChangeNothing(Jdk jdk) throws Exception {
    ChildJvm.Run audit = child(jdk, LATEST_42).agent("mode=audit").run(APP, args(URING));
    assumeAvailable(audit, URING);
    assertHeldAndWorking(audit, RANGE);
    assertTrue(
        audit
            .stderr()
            .contains("IP_BIND_ADDRESS_NO_PORT would be set (audit): " + DESTINATIONS * ATTEMPTS),
        audit::describe);
    assertTrue(
        audit
            .stderr()
            .contains("audit: Netty io_uring channel binds to 127.0.0.1:0 before connect at"),
        audit::describe);

    ChildJvm.Run off = child(jdk, LATEST_42).agent("netty.enabled=false").run(APP, args(URING));
    assertHeldAndWorking(off, RANGE);
    assertFalse(off.stderr().contains("Netty io_uring channel"), off::describe);
  }

  static List<Jdk> jdk17() {
    return List.of(jdk("17"));
  }

  /**
   * io_uring closes a socket with an IORING_OP_CLOSE that the kernel runs inside the event loop's
   * io_uring_enter: with SO_LINGER on and data the peer never reads, the event loop itself stops
   * for the whole linger (no GlobalEventExecutor as with epoll). The linger guard sees the set
   * through the shared {@code unix.Socket.setSoLinger} hook; in {@code fix} mode the kernel then
   * has linger off (read back by Netty with getsockopt) and neither the close nor the loop waits.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdk21")
  void lingerBlocksTheEventLoopAndFixTurnsItOff(Jdk jdk) throws Exception {
    String[] unsent = {
      "--transport",
      URING,
      "--destinations",
      "1",
      "--attempts",
      "1",
      "--linger",
      "2",
      "--unsent-close"
    };
    ChildJvm.Run without = child(jdk, LATEST_42).run(APP, unsent);
    assumeAvailable(without, URING);
    without.assertSucceeded();
    assertEquals("2", without.result().get("lingerReadBack"), without::describe);
    // Measured around 2,050 ms; the bound leaves room for a loaded machine, not for a fix.
    assertTrue(without.number("unsentCloseMillis") >= 1500, without::describe);
    assertTrue(without.number("unsentLoopBlockedMillis") >= 1500, without::describe);

    ChildJvm.Run fix = child(jdk, LATEST_42).agent("linger.policy=fix").run(APP, unsent);
    fix.assertSucceeded();
    assertEquals("-1", fix.result().get("lingerReadBack"), fix::describe);
    assertTrue(fix.number("unsentCloseMillis") < 1500, fix::describe);
    assertTrue(fix.number("unsentLoopBlockedMillis") < 1500, fix::describe);
    assertTrue(fix.stderr().contains("policy fix: left off 1"), fix::describe);
    assertTrue(
        fix.stderr().contains("SO_LINGER 2 s set on Netty io_uring channel at"), fix::describe);
    assertTrue(fix.stderr().contains("on the io_uring event loop itself"), fix::describe);

    ChildJvm.Run warn =
        child(jdk, LATEST_42)
            .agent()
            .run(
                APP,
                "--transport",
                URING,
                "--destinations",
                "2",
                "--attempts",
                "1",
                "--linger",
                "1000");
    warn.assertSucceeded();
    assertEquals("1000", warn.result().get("lingerReadBack"), warn::describe);
    assertTrue(warn.stderr().contains("looks like milliseconds"), warn::describe);
  }

  static List<Jdk> jdk21() {
    return List.of(jdk("21"));
  }

  static List<Arguments> attachCases() {
    return List.of(
        Arguments.of(jdk("17"), LATEST_42, URING),
        Arguments.of(jdk("25"), LATEST_42, URING),
        Arguments.of(jdk("8"), LATEST_41, INCUBATOR));
  }

  /**
   * Hot attach into a JVM whose io_uring classes are loaded already (retransformed), then detach
   * (original bytecode restored): one connection before attach holds its port for every
   * destination, so after attach each destination gets R - 1; after detach a bind finds no port.
   */
  @ParameterizedTest(name = "{0} Netty {1} {2}")
  @MethodSource("attachCases")
  void hotAttachWeavesLoadedClassesAndDetachRestoresThem(Jdk jdk, String netty, String transport)
      throws Exception {
    ChildJvm child = child(jdk, netty);
    if (!jdk.label().equals("8")) {
      child.jvmArg("-XX:+EnableDynamicAgentLoading");
    }
    ChildJvm.Run run =
        child.run(
            APP, args(transport, "--attach-agent", ChildJvm.AGENT.toAbsolutePath().toString()));
    assumeAvailable(run, transport);
    run.assertSucceeded();
    assertEquals(1, run.number("before"), run::describe);
    assertEquals((RANGE - 1) * DESTINATIONS, run.number("attached"), run::describe);
    assertEquals(0, run.number("detached"), run::describe);
    assertEquals(1 + (RANGE - 1) * DESTINATIONS, run.number("kernelEstablished"), run::describe);
    assertEquals("true", run.result().get("restored"), run::describe);
    String unsafe =
        transport.equals(URING)
            ? "io.netty.channel.uring.AbstractIoUringChannel$AbstractUringUnsafe"
            : "io.netty.incubator.channel.uring.AbstractIOUringChannel$AbstractUringUnsafe";
    assertTrue(run.stdout().contains(unsafe), run::describe);
    assertTrue(run.stdout().contains("Address already in use"), run::describe);
  }
}
