package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the agent does before {@code main} (issue 11's startup goals, in what the JVM loaded rather
 * than in timings): a program that opens no socket loads none of the agent's socket handling (the
 * handler, the ledgers, the reporter, the counters, the kernel table) and nothing of JMX or JFR;
 * and yet the very first client socket of {@code main} is rewritten, as the kernel shows.
 */
class StartupTest {
  private static final String PROBE = "io.fourtuple.samples.StartupProbe";

  /** JDK 9+ {@code [0.01s][info][class,load] NAME source: ...}; JDK 8 {@code [Loaded NAME from}. */
  private static final Pattern LOADED =
      Pattern.compile("^(?:\\[[^\\]]*\\])*\\s*(?:\\[Loaded )?([\\w.$/]+)(?: source: | from )");

  private static final List<String> NOT_FOR_A_QUIET_PROGRAM =
      List.of(
          "io.fourtuple.agent.core.SocketEventHandler",
          "io.fourtuple.agent.core.AgentStats",
          "io.fourtuple.agent.core.report.Reporter",
          "io.fourtuple.agent.core.audit.CallSiteLedger",
          "io.fourtuple.agent.core.linger.LingerGuard",
          "io.fourtuple.agent.core.ledger.PortLedger",
          "io.fourtuple.agent.core.ledger.LedgerMonitor",
          "io.fourtuple.agent.core.kernel.TcpTable",
          "javax.management.",
          "java.lang.management.",
          "sun.management.",
          "jdk.jfr.");

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  /**
   * Checked against the same program without the agent: JDK 8's JVM loads {@code
   * jdk.jfr.internal.EventWriter} by itself.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void aProgramThatOpensNoSocketLoadsNoneOfTheSocketHandling(Jdk jdk) throws Exception {
    ChildJvm.Run run = ChildJvm.on(jdk).agent().jvmArg("-verbose:class").run(PROBE, "quiet");
    run.assertSucceeded();
    // Not run.number(): on JDK 8, -verbose:class lines go to stdout too, and one written by another
    // thread can land between the RESULT text and its line end.
    assertTrue(run.stdout().contains("RESULT quiet=1"), run::describe);
    Set<String> loaded = loaded(run);
    loaded.removeAll(loaded(ChildJvm.on(jdk).jvmArg("-verbose:class").run(PROBE, "quiet")));
    assertTrue(loaded.contains("io.fourtuple.agent.RunningAgent"), run::describe);
    for (String name : loaded) {
      for (String forbidden : NOT_FOR_A_QUIET_PROGRAM) {
        assertTrue(
            forbidden.endsWith(".") ? !name.startsWith(forbidden) : !name.equals(forbidden),
            () -> name + " was loaded by a program that opened no socket\n" + run.describe());
      }
    }
    assertTrue(
        run.stderr().contains("summary at exit: no client socket activity seen"), run::describe);
  }

  /** The classes {@code -verbose:class} says the JVM loaded. */
  private static Set<String> loaded(ChildJvm.Run run) {
    run.assertSucceeded();
    Set<String> loaded = new HashSet<>();
    for (String line : run.stdout().split("\n")) {
      Matcher m = LOADED.matcher(line);
      if (m.find()) {
        loaded.add(m.group(1));
      }
    }
    assertTrue(loaded.contains(PROBE), run::describe);
    return loaded;
  }

  /**
   * The kernel's count: a client bind to (loopback, 0) that the agent deferred holds no port, so
   * the listeners bound after it get the whole range; without the agent they get one port fewer.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void theFirstClientSocketOfMainIsRewritten(Jdk jdk) throws Exception {
    ChildJvm.Run with = ChildJvm.on(jdk).agent().run(PROBE, "first-socket");
    with.assertSucceeded();
    assertEquals(RANGE, with.number("listeners"), with::describe);
    assertTrue(with.stderr().contains("summary at exit: java.net.Socket: binds ["), with::describe);

    ChildJvm.Run without = ChildJvm.on(jdk).run(PROBE, "first-socket");
    without.assertSucceeded();
    assertEquals(RANGE - 1, without.number("listeners"), without::describe);
  }
}
