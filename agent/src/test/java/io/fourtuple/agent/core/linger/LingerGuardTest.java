package io.fourtuple.agent.core.linger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.FindingWriter;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.core.status.StatusReport;
import io.fourtuple.agent.platform.FakeSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.event.Level;
import org.slf4j.helpers.NOPLogger;

class LingerGuardTest {
  private final List<Finding> findings = new ArrayList<>();
  private final Reporter reporter = new Reporter(NOPLogger.NOP_LOGGER, findings::add);

  private LingerGuard guard(String args) throws Exception {
    return new LingerGuard(
        ConfigParser.parse(args, Map.of(), Map.of()), reporter, FakeSocketOptions.available());
  }

  private List<Finding> drain() {
    reporter.flush();
    List<Finding> out = new ArrayList<>(findings);
    findings.clear();
    return out;
  }

  private static LingerFinding detail(Finding f) {
    return (LingerFinding) f.detail;
  }

  /**
   * Writes {@code f} as if its set had been made at {@code site} (a unit test's own frames are
   * fourtuple's, which call-site resolution skips).
   */
  private static void writeAt(FindingWriter writer, Finding f, String className, int line) {
    String file = className.substring(className.lastIndexOf('.') + 1) + ".java";
    f.stack.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement("java.net.Socket", "setSoLinger", "Socket.java", 1000),
          new StackTraceElement(className, "run", file, line)
        });
    writer.write(f);
  }

  @Test
  void warnIsTheDefaultAndChangesNothingButReportsWhatFixWouldDo() throws Exception {
    LingerGuard guard = guard(null);
    assertEquals(1000, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Finding.Kind.LINGER_SET, out.get(0).kind);
    LingerFinding d = detail(out.get(0));
    assertEquals(LingerClass.MILLIS_LIKE, d.type);
    assertTrue(
        d.explanation().contains("1000 s = 16 min 40 s, did you mean 1 s?"), d.explanation());
    assertTrue(d.outcome().contains("policy warn: left as is"), d.outcome());
    assertTrue(
        d.outcome().contains("fourtuple.linger.policy=fix would leave linger off"), d.outcome());
  }

  @Test
  void fixLeavesMisuseOffAndKeepsDeliberateValues() throws Exception {
    LingerGuard guard = guard("linger.policy=fix");
    assertEquals(LingerPolicy.OFF, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    assertEquals(LingerPolicy.OFF, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 70000));
    assertEquals(LingerPolicy.OFF, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 30));
    assertEquals(2, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 2));
    assertEquals(0, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 0));
    assertEquals(5, guard.beforeSetLinger(Api.SOCKET, new Object(), false, 5));
    List<Finding> out = drain();
    // 1000, 70000, 30 and 0 are reported; 2 on a blocking socket and "off" are not.
    assertEquals(4, out.size());
    assertTrue(detail(out.get(0)).outcome().startsWith("policy fix: left linger off"));
    assertTrue(detail(out.get(3)).explanation().contains("RST"), detail(out.get(3)).explanation());
    assertTrue(guard.describe().contains("left off 3"), guard.describe());
  }

  @Test
  void anyPositiveValueOnANonBlockingChannelIsMisuse() throws Exception {
    LingerGuard guard = guard("linger.policy=fix");
    try (SocketChannel blocking = SocketChannel.open();
        SocketChannel nonBlocking = SocketChannel.open()) {
      nonBlocking.configureBlocking(false);
      assertEquals(1, guard.beforeSetLinger(Api.SOCKET_CHANNEL, blocking, true, 1));
      assertEquals(
          LingerPolicy.OFF, guard.beforeSetLinger(Api.SOCKET_CHANNEL, nonBlocking, true, 1));
    }
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(LingerClass.NON_BLOCKING, detail(out.get(0)).type);
    assertTrue(detail(out.get(0)).explanation().contains("holding the channel's lock"));
  }

  @Test
  void clampCapsTheValue() throws Exception {
    LingerGuard guard = guard("linger.policy=clamp:3");
    assertEquals(3, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    assertEquals(2, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 2));
    assertTrue(detail(drain().get(0)).outcome().contains("set 3 s instead"));
  }

  @Test
  void auditChangesNothingAndSaysWhatThePolicyWouldDo() throws Exception {
    LingerGuard guard = guard("mode=audit,linger.policy=fix");
    assertEquals(1000, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    String outcome = detail(drain().get(0)).outcome();
    assertTrue(outcome.startsWith("audit: left as is; policy fix would leave linger off"), outcome);
    assertTrue(guard.describe().contains("audit: 1 would have been changed"), guard.describe());

    LingerGuard clamp = guard("mode=audit,linger.policy=clamp:2");
    assertEquals(1000, clamp.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    assertTrue(detail(drain().get(0)).outcome().contains("would set 2 s"));
  }

  @Test
  void timesClosesOfSocketsLeftWithLingerOnly() throws Exception {
    LingerGuard guard = guard("linger.blocked.millis=0");
    Object lingering = new Object();
    Object turnedOff = new Object();
    Object neverSet = new Object();
    guard.beforeSetLinger(Api.SOCKET, lingering, true, 1000);
    guard.beforeSetLinger(Api.SOCKET, turnedOff, true, 5);
    guard.beforeSetLinger(Api.SOCKET, turnedOff, false, 0);
    drain();
    for (Object socket : new Object[] {lingering, turnedOff, neverSet}) {
      guard.beforeClose(socket);
      guard.afterClose(socket);
    }
    List<Finding> out = drain();
    assertEquals(1, out.size());
    assertEquals(Finding.Kind.LINGER_CLOSE, out.get(0).kind);
    assertEquals(1000, detail(out.get(0)).requested);
    assertEquals(1, guard.closesBlocked());
    // A second close of the same socket is not timed again.
    guard.beforeClose(lingering);
    guard.afterClose(lingering);
    assertTrue(drain().isEmpty());
  }

  @Test
  void fixedSocketsAreNotTimedAndCloseWithoutLingerCostsNothing() throws Exception {
    LingerGuard guard = guard("linger.policy=fix,linger.blocked.millis=0");
    Object socket = new Object();
    guard.beforeClose(socket);
    guard.afterClose(socket);
    guard.beforeSetLinger(Api.SOCKET, socket, true, 1000);
    drain();
    guard.beforeClose(socket);
    guard.afterClose(socket);
    assertTrue(drain().isEmpty());
  }

  /** Only a zero linger is reported below WARN: it is usually deliberate. */
  @Test
  void everyReportedClassWarnsExceptZero() {
    EnumSet<LingerClass> informational = EnumSet.noneOf(LingerClass.class);
    for (LingerClass type : LingerClass.values()) {
      if (type.reported() && !type.warned()) {
        informational.add(type);
      }
      assertFalse(type.warned() && !type.reported(), type.name());
    }
    assertEquals(EnumSet.of(LingerClass.ZERO), informational);
  }

  /**
   * Tomcat's case: SO_LINGER 0 on its own unlock connection at every start and stop. One INFO line
   * per call site, saying what 0 does; never a WARN; every set still counted.
   */
  @Test
  void zeroIsOneInfoLinePerCallSiteAndNoWarning() throws Exception {
    LingerGuard guard = guard(null);
    try (SocketChannel nonBlocking = SocketChannel.open()) {
      nonBlocking.configureBlocking(false);
      for (int i = 0; i < 3; i++) {
        assertEquals(0, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 0));
      }
      assertEquals(0, guard.beforeSetLinger(Api.SOCKET_CHANNEL, nonBlocking, true, 0));
      assertEquals(0, guard.beforeSetLinger(Api.NETTY_EPOLL, new Object(), true, 0));
    }
    List<Finding> out = drain();
    assertEquals(5, out.size());
    RecordingLogger log = new RecordingLogger();
    FindingWriter writer = new FindingWriter(log);
    String tomcat = "org.apache.tomcat.util.net.AbstractEndpoint";
    for (int i = 0; i < 3; i++) {
      writeAt(writer, out.get(i), tomcat, 1234);
    }
    writeAt(writer, out.get(3), "com.example.Selector", 7);
    writeAt(writer, out.get(4), "com.example.Client", 9);

    assertEquals(List.of(), log.at(Level.WARN));
    List<String> info = log.at(Level.INFO);
    assertEquals(3, info.size(), info::toString);
    assertTrue(
        info.get(0).startsWith("SO_LINGER 0 s set on java.net.Socket at " + tomcat + ".run("),
        info.get(0));
    for (String line : info) {
      assertTrue(line.contains("0 means close() sends RST instead of FIN"), line);
      assertTrue(line.contains("data still unsent or unacknowledged at that close"), line);
      assertTrue(line.contains("Harmless when nothing is left to send at close"), line);
      assertTrue(line.contains("policy warn: left as is;"), line);
    }
    assertEquals(5, guard.sets(LingerClass.ZERO));
    assertTrue(
        guard.describe().contains("ZERO 0 s at " + tomcat + ".run(AbstractEndpoint.java:1234) x3"),
        guard.describe());
  }

  /** Where harm is likely the line is a WARN, whatever the policy does about it. */
  @ParameterizedTest(name = "{0} s, non-blocking {1}, policy {2} -> {3}")
  @CsvSource({
    "1000, false, warn, looks like milliseconds: 1000 s = 16 min 40 s",
    "30, false, warn, long: close() can block up to 30 s",
    "70000, false, warn, above 65535: the JDK silently uses 65535 s",
    "5, true, warn, on a non-blocking channel, close() can block up to 5 s",
    "1000, false, fix, policy fix: left linger off",
    "30, false, 'clamp:2', policy clamp:2: set 2 s instead",
  })
  void harmfulClassesStillWarn(int seconds, boolean nonBlocking, String policy, String text)
      throws Exception {
    LingerGuard guard = guard("linger.policy=" + policy);
    try (SocketChannel channel = SocketChannel.open()) {
      channel.configureBlocking(!nonBlocking);
      guard.beforeSetLinger(Api.SOCKET_CHANNEL, channel, true, seconds);
    }
    RecordingLogger log = new RecordingLogger();
    FindingWriter writer = new FindingWriter(log);
    for (Finding f : drain()) {
      writeAt(writer, f, "com.example.Server", 42);
    }
    assertEquals(List.of(), log.at(Level.INFO));
    List<String> warn = log.at(Level.WARN);
    assertEquals(1, warn.size(), warn::toString);
    assertTrue(warn.get(0).startsWith("SO_LINGER " + seconds + " s set on "), warn.get(0));
    assertTrue(warn.get(0).contains(text), warn.get(0));
  }

  @Test
  void aCloseThatBlockedIsAWarning() throws Exception {
    LingerGuard guard = guard("linger.blocked.millis=0");
    Object socket = new Object();
    guard.beforeSetLinger(Api.SOCKET, socket, true, 3);
    assertTrue(drain().isEmpty(), "3 s on a blocking socket is a deliberate wait");
    guard.beforeClose(socket);
    guard.afterClose(socket);
    RecordingLogger log = new RecordingLogger();
    FindingWriter writer = new FindingWriter(log);
    for (Finding f : drain()) {
      writeAt(writer, f, "com.example.Client", 12);
    }
    assertEquals(List.of(), log.at(Level.INFO));
    List<String> warn = log.at(Level.WARN);
    assertEquals(1, warn.size(), warn::toString);
    assertTrue(warn.get(0).startsWith("close() of a java.net.Socket with SO_LINGER 3 s blocked "));
  }

  @Test
  void statusSaysNoneUntilASetIsSeen() throws Exception {
    LingerGuard guard = guard(null);
    StatusReport before = new StatusReport("t", List.of(guard.statusSection()));
    assertEquals("t\n\nlinger:\n  findings: none\n", before.text());
    assertEquals("{\"title\":\"t\",\"linger\":{\"findings\":\"none\"}}", before.json());

    guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000);
    StatusReport after = new StatusReport("t", List.of(guard.statusSection()));
    assertTrue(
        after.text().contains("  findings: 1 sets [looks like milliseconds: 1]"), after.text());
    assertFalse(after.text().contains("null"), after.text());
  }

  @Test
  void summaryIsNullUntilASetIsSeen() throws Exception {
    LingerGuard guard = guard(null);
    assertNull(guard.describe());
    guard.beforeSetLinger(Api.SOCKET, new Object(), false, 0);
    assertTrue(guard.describe().startsWith("1 sets [off: 1], policy warn"), guard.describe());
  }

  @Test
  void sitesAreCountedOnceEachAndBounded() {
    CallSites table = new CallSites(2);
    LingerSites sites = new LingerSites(table);
    assertTrue(sites.record("ZERO 0 s", "a"));
    assertFalse(sites.record("ZERO 0 s", "a"));
    assertTrue(sites.record("close()", "a"), "another finding at a known site");
    assertTrue(sites.record("ZERO 0 s", "b"));
    assertFalse(sites.record("ZERO 0 s", "c"));
    assertEquals(2, table.sites().size());
    String text = sites.describe(10);
    assertTrue(text.startsWith("ZERO 0 s at a x2; "), text);
    assertTrue(text.contains("; ZERO 0 s at b x1"), text);
    assertTrue(text.contains("; close() at a x1"), text);
    assertTrue(text.contains("1 more at sites beyond the cap of 2"), text);
  }

  @Test
  void aSetStormIsCountedInFullButOnlySampledForStacks() throws Exception {
    // fix leaves a millisecond-looking value off on every set, sampled or not.
    LingerGuard guard = guard("linger.policy=fix");
    int sets = 20 * CallSites.SAMPLES_PER_WINDOW;
    long start = System.nanoTime();
    for (int i = 0; i < sets; i++) {
      assertEquals(LingerPolicy.OFF, guard.beforeSetLinger(Api.SOCKET, new Object(), true, 1000));
    }
    long windows = ((System.nanoTime() - start) >>> 27) + 2; // windows touched, at most
    List<Finding> out = drain();
    assertEquals(sets, guard.sets(LingerClass.MILLIS_LIKE));
    assertTrue(out.size() >= 1, "the first set is always reported");
    assertTrue(
        out.size() <= windows * CallSites.SAMPLES_PER_WINDOW,
        out.size() + " findings for " + sets + " sets in " + windows + " windows");
    if (out.size() < sets) {
      assertTrue(guard.describe().contains("more are counted by class only"), guard.describe());
    }
    String summary = guard.describe();
    assertTrue(summary.startsWith(sets + " sets [looks like milliseconds: " + sets + "]"), summary);
  }
}
