package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Transparency, judged line by line: {@code SocketSemantics} prints what the application observes
 * between bind and connect (the local port after bind, whether another socket can bind that port,
 * whether connect keeps it) and what the JDK throws for every bad usage of the bind path (never
 * created, closed, bound twice, connected, unresolved, unsupported address type, concurrent close),
 * on the socket, its implementation, the socket channel and the asynchronous channel. The output
 * with the agent in enforce mode must equal the output without it, on every JDK of the matrix, and
 * the JVM must live to print its last line.
 */
class SocketSemanticsTest {
  static final String PROGRAM = "io.fourtuple.samples.SocketSemantics";

  static List<Jdk> jdks() {
    return Jdk.matrixWithPlainSocketImpl();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void withTheAgentTheApplicationSeesWhatTheJdkShows(Jdk jdk) throws Exception {
    // The default range: the scenarios leave connections in TIME_WAIT, which must not exhaust it.
    ChildJvm.Run without = semantics(jdk, ChildJvm.on(jdk).ephemeralRange(32768, 60999));
    ChildJvm.Run with = semantics(jdk, ChildJvm.on(jdk).ephemeralRange(32768, 60999).agent());
    without.assertSucceeded();
    with.assertSucceeded();
    List<String> expected = lines(without);
    assertTrue(expected.size() > 30, without::describe);
    // The implementation scenarios really ran (the JVM was given access to the classes).
    assertTrue(
        expected.stream().noneMatch(l -> l.endsWith(": skipped")), String.join("\n", expected));
    assertTrue(expected.stream().anyMatch(l -> l.contains("port>0")), without::describe);
    assertEquals(String.join("\n", expected), String.join("\n", lines(with)), with::describe);
    // The agent did defer those ports (and gave each its port when it was read).
    assertTrue(with.stderr().contains("IP_BIND_ADDRESS_NO_PORT set: "), with::describe);
    assertTrue(with.stderr().contains("local port read before connect"), with::describe);
    assertTrue(!with.stderr().contains("internal error"), with::describe);
  }

  private static ChildJvm.Run semantics(Jdk jdk, ChildJvm jvm) throws Exception {
    if (!jdk.label().equals("8")) {
      jvm.jvmArg("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")
          .jvmArg("--add-opens=java.base/java.net=ALL-UNNAMED");
    }
    return jvm.run(PROGRAM);
  }

  /** The scenario lines (stdout), without anything the agent logged. */
  private static List<String> lines(ChildJvm.Run run) {
    List<String> out = new ArrayList<>();
    for (String line : run.stdout().split("\n")) {
      if (!line.isBlank()) {
        out.add(line);
      }
    }
    return out;
  }
}
