package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SO_LINGER guard on every JDK of the matrix: the finding names the application's line, {@code
 * fix} lets close() return at once while the peer is not reading and the peer still receives every
 * byte, {@code clamp} bounds the wait, {@code warn} and audit change nothing (the option is read
 * back through the same API), on every API path that can set SO_LINGER.
 */
class LingerTest {
  private static final String SERVER = "io.fourtuple.samples.LingerServer";
  private static final String APIS = "io.fourtuple.samples.LingerApis";
  private static final String UNLOCK = "io.fourtuple.samples.AcceptorUnlock";
  private static final List<String> PATHS =
      List.of(
          "socket-setSoLinger",
          "socket-setOption",
          "channel-setOption",
          "adaptor-setSoLinger",
          "adaptor-setOption");

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  /**
   * The API paths also on JDK 17's pre-13 socket implementation, which handles SO_LINGER itself.
   */
  static List<Jdk> jdksWithPlainSocketImpl() {
    return Jdk.matrixWithPlainSocketImpl();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void nioServerStallsOnItsBlockedCloseAndKeepsServingWithFix(Jdk jdk) throws Exception {
    String[] args = {"--stall-seconds", "3"};
    ChildJvm.Run without = ChildJvm.on(jdk).run(SERVER, args);
    without.assertSucceeded();
    assertEquals(1000, without.number("lingerReadBack"), without::describe);
    // The server's close waited for the slow client to read, about the 3 s stall, and the selector
    // thread with it: (almost) no other request was served meanwhile.
    assertTrue(without.number("slowCloseMillis") >= 2000, without::describe);
    assertTrue(without.number("fastDuringStall") <= 1, without::describe);
    assertEquals("true", without.result().get("slowIntact"), without::describe);

    ChildJvm.Run fixed = ChildJvm.on(jdk).agent("linger.policy=fix").run(SERVER, args);
    fixed.assertSucceeded();
    assertEquals(-1, fixed.number("lingerReadBack"), fixed::describe);
    assertTrue(fixed.number("slowCloseMillis") < 1000, fixed::describe);
    assertTrue(fixed.number("fastDuringStall") > 0, fixed::describe);
    assertEquals("true", fixed.result().get("slowIntact"), fixed::describe);
    assertEquals(fixed.number("responseBytes"), fixed.number("slowBytes"), fixed::describe);
    String site =
        "at io.fourtuple.samples.LingerServer$Loop.accept(LingerServer.java:"
            + lineOf("LingerServer.java", "ch.setOption(StandardSocketOptions.SO_LINGER, linger)")
            + ")";
    assertTrue(
        fixed.stderr().contains("SO_LINGER 1000 s set on java.nio.channels.SocketChannel " + site),
        fixed::describe);
    assertTrue(fixed.stderr().contains("did you mean 1 s?"), fixed::describe);
    assertTrue(fixed.stderr().contains("policy fix: left linger off"), fixed::describe);
    // Logged once, counted after.
    assertEquals(1, count(fixed.stderr(), "SO_LINGER 1000 s set on"), fixed::describe);
    assertTrue(fixed.stderr().contains("MILLIS_LIKE 1000 s " + site + " x"), fixed::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void warnAndAuditChangeNothingAndReportTheBlockedClose(Jdk jdk) throws Exception {
    String[] args = {"--stall-seconds", "3"};
    ChildJvm.Run warned = ChildJvm.on(jdk).agent().run(SERVER, args);
    warned.assertSucceeded();
    assertEquals(1000, warned.number("lingerReadBack"), warned::describe);
    assertTrue(warned.number("slowCloseMillis") >= 2000, warned::describe);
    assertTrue(warned.stderr().contains("policy warn: left as is"), warned::describe);
    assertTrue(
        warned
            .stderr()
            .contains(
                "close() of a java.nio.channels.SocketChannel with SO_LINGER 1000 s" + " blocked "),
        warned::describe);
    assertTrue(
        warned
            .stderr()
            .contains("on thread selector at io.fourtuple.samples.LingerServer$Loop.finish("),
        warned::describe);

    ChildJvm.Run audited = ChildJvm.on(jdk).agent("mode=audit,linger.policy=fix").run(SERVER, args);
    audited.assertSucceeded();
    assertEquals(1000, audited.number("lingerReadBack"), audited::describe);
    assertTrue(audited.number("slowCloseMillis") >= 2000, audited::describe);
    assertTrue(
        audited.stderr().contains("audit: left as is; policy fix would leave linger off"),
        audited::describe);
  }

  /** JDK 11 and later defer the close of a registered non-blocking channel and drop its linger. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void closingWhileRegisteredBlocksOnlyOnJdk8(Jdk jdk) throws Exception {
    ChildJvm.Run run =
        ChildJvm.on(jdk).run(SERVER, "--close", "registered", "--stall-seconds", "3");
    run.assertSucceeded();
    if (jdk.label().equals("8")) {
      assertTrue(run.number("slowCloseMillis") >= 2000, run::describe);
    } else {
      assertTrue(run.number("slowCloseMillis") < 1000, run::describe);
    }
    assertEquals("true", run.result().get("slowIntact"), run::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdksWithPlainSocketImpl")
  void everyApiPathIsSeenAtItsLineAndFixed(Jdk jdk) throws Exception {
    for (String path : PATHS) {
      ChildJvm.Run run =
          ChildJvm.on(jdk)
              .agent("linger.policy=fix")
              .run(APIS, "--path", path, "--peer-stall-millis", "1500");
      run.assertSucceeded();
      if ("true".equals(run.result().get("unsupported"))) {
        assertEquals("8", jdk.label(), run::describe); // Socket.setOption is JDK 9+
        continue;
      }
      assertEquals(-1, run.number("readBack"), run::describe);
      assertTrue(run.number("closeMillis") < 1000, run::describe);
      assertEquals("true", run.result().get("peerIntact"), run::describe);
      String marker =
          path.startsWith("channel")
              ? "// channel-setOption"
              : path.endsWith("setSoLinger") ? "// *-setSoLinger" : "// *-setOption";
      String site =
          "at io.fourtuple.samples.LingerApis.main(LingerApis.java:"
              + lineOf("LingerApis.java", marker)
              + ")";
      assertTrue(run.stderr().contains("SO_LINGER 1000 s set on "), run::describe);
      assertTrue(run.stderr().contains(site), () -> site + "\n" + run.describe());
      assertEquals(1, count(run.stderr(), "SO_LINGER 1000 s set on"), run::describe);
      assertTrue(lineWith(run, "SO_LINGER 1000 s set on").contains(WARN), run::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void warnLeavesTheValueAndClampBoundsTheWait(Jdk jdk) throws Exception {
    for (String path : List.of("socket-setSoLinger", "channel-setOption")) {
      ChildJvm.Run warned =
          ChildJvm.on(jdk).agent().run(APIS, "--path", path, "--peer-stall-millis", "1500");
      warned.assertSucceeded();
      assertEquals(1000, warned.number("readBack"), warned::describe);
      assertTrue(warned.number("closeMillis") >= 1000, warned::describe);
      assertEquals("true", warned.result().get("peerIntact"), warned::describe);

      ChildJvm.Run clamped =
          ChildJvm.on(jdk)
              .agent("linger.policy=clamp:1")
              .run(APIS, "--path", path, "--peer-stall-millis", "3000");
      clamped.assertSucceeded();
      assertEquals(1, clamped.number("readBack"), clamped::describe);
      // Waited for the clamped second, not for the 3 s stall; the data still arrived in full.
      assertTrue(clamped.number("closeMillis") >= 500, clamped::describe);
      assertTrue(clamped.number("closeMillis") < 2500, clamped::describe);
      assertEquals("true", clamped.result().get("peerIntact"), clamped::describe);
      assertTrue(clamped.stderr().contains("policy clamp:1: set 1 s instead"), clamped::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void zeroIsReportedAsDataLossAndNeverChanged(Jdk jdk) throws Exception {
    ChildJvm.Run run =
        ChildJvm.on(jdk)
            .agent("linger.policy=fix")
            .run(
                APIS, "--path", "channel-setOption", "--linger", "0", "--peer-stall-millis", "500");
    run.assertSucceeded();
    assertEquals(0, run.number("readBack"), run::describe);
    assertTrue(run.stderr().contains("0 means close() sends RST instead of FIN"), run::describe);
    // RST on close: the peer, reading later, lost data. The agent cannot see the send queue at
    // close, so this close reads like a harmless one: the same single INFO line (docs/linger.md).
    assertFalse("true".equals(run.result().get("peerIntact")), run::describe);
    assertTrue(lineWith(run, "SO_LINGER 0 s set on").contains(INFO), run::describe);
  }

  /**
   * Do no harm to the operator's attention: Tomcat's way of waking its acceptor (a connection to
   * itself with SO_LINGER 0 that sends nothing, at every stop) is one INFO line for its call site,
   * however often it runs, and no WARN at all; values where harm is likely still get a WARN each.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void zeroWithNothingUnsentIsOneInfoLinePerSiteAndHarmfulValuesStillWarn(Jdk jdk)
      throws Exception {
    ChildJvm.Run unlock = ChildJvm.on(jdk).agent().run(UNLOCK, "--cycles", "3");
    unlock.assertSucceeded();
    assertEquals(3, unlock.number("unlocked"), unlock::describe);
    assertEquals(0, unlock.number("lingerReadBack"), unlock::describe);
    String site =
        "at io.fourtuple.samples.AcceptorUnlock.unlock(AcceptorUnlock.java:"
            + lineOf("AcceptorUnlock.java", "// unlock-setSoLinger")
            + ")";
    assertEquals(1, count(unlock.stderr(), "SO_LINGER 0 s set on"), unlock::describe);
    String info = lineWith(unlock, "SO_LINGER 0 s set on");
    assertTrue(info.contains(INFO), info);
    assertTrue(info.contains("SO_LINGER 0 s set on java.net.Socket " + site), info);
    assertTrue(info.contains("0 means close() sends RST instead of FIN"), info);
    assertEquals(0, count(unlock.stderr(), WARN), unlock::describe);
    // Every set is counted at its site.
    assertTrue(unlock.stderr().contains("ZERO 0 s " + site + " x3"), unlock::describe);

    String[][] harmful = {
      {"socket-setSoLinger", "30", "false", "long: close() can block up to 30 s"},
      {"socket-setSoLinger", "70000", "false", "above 65535: the JDK silently uses 65535 s"},
      {"channel-setOption", "5", "true", "on a non-blocking channel, close() can block up to 5 s"},
    };
    for (String[] c : harmful) {
      ChildJvm.Run run =
          ChildJvm.on(jdk)
              .agent()
              .run(
                  APIS,
                  "--path",
                  c[0],
                  "--linger",
                  c[1],
                  "--non-blocking",
                  c[2],
                  "--bytes",
                  "0",
                  "--peer-stall-millis",
                  "0");
      run.assertSucceeded();
      String line = lineWith(run, "SO_LINGER " + c[1] + " s set on");
      assertTrue(line.contains(WARN), run::describe);
      assertTrue(line.contains(c[3]), run::describe);
      assertEquals(1, count(run.stderr(), " s set on "), run::describe);
    }
  }

  private static final String WARN = " fourtuple WARN  ";
  private static final String INFO = " fourtuple INFO  ";

  /** The one stderr line of {@code run} that contains {@code needle}. */
  private static String lineWith(ChildJvm.Run run, String needle) {
    for (String line : run.stderr().split("\n")) {
      if (line.contains(needle)) {
        return line;
      }
    }
    fail("no line with '" + needle + "'\n" + run.describe());
    return null;
  }

  private static int lineOf(String sample, String marker) throws IOException {
    Path source = Paths.get("../sample-apps/src/main/java/io/fourtuple/samples").resolve(sample);
    List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(marker)) {
        return i + 1;
      }
    }
    fail(marker + " not found in " + source);
    return -1;
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
