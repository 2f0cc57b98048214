package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JDK's {@code HttpClient} with a pinned source address ({@code
 * HttpClient.Builder.localAddress}, JDK 19+) binds each connection's {@code SocketChannel} to
 * (address, 0) before connecting; the agent covers it through its {@code SocketChannel} hooks. D =
 * 10 local HTTP servers, R = 10 concurrent requests to each, held by the servers so that each needs
 * its own connection: the kernel's table shows R connections without the agent and R x D with it,
 * and with it every request is answered with its own body.
 */
class JdkHttpClientTest {
  private static final String APP = "io.fourtuple.samples.JdkHttpClientPinned";
  static final int DESTINATIONS = 10;

  /**
   * The JDKs of the matrix that have the API (19+). JDK 8, 11 and 17 are left out rather than
   * skipped; a matrix without any 19+ JDK leaves this source empty, which JUnit reports as a
   * failure.
   */
  static List<Jdk> jdks() {
    return Jdk.matrix().stream().filter(jdk -> Integer.parseInt(jdk.label()) >= 19).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void pinnedHttpClientHoldsRangeTimesDestinationsWithTheAgent(Jdk jdk) throws Exception {
    String[] args = {"--destinations", "" + DESTINATIONS, "--per-destination", "" + RANGE};
    int total = DESTINATIONS * RANGE;

    ChildJvm.Run without = ChildJvm.on(jdk).run(APP, args);
    without.assertSucceeded();
    assertEquals(RANGE, without.number("connections"), without::describe);
    assertEquals(RANGE, without.number("ok"), without::describe);
    assertEquals(RANGE, without.number("bodiesOk"), without::describe);
    assertTrue(
        without.stdout().contains("BindException: Address already in use"), without::describe);

    ChildJvm.Run with = ChildJvm.on(jdk).agent().run(APP, args);
    with.assertSucceeded();
    assertEquals(total, with.number("connections"), with::describe);
    assertEquals(total, with.number("ok"), with::describe);
    assertEquals(total, with.number("bodiesOk"), with::describe);
    assertEquals(DESTINATIONS, with.number("destinationsReached"), with::describe);
    assertTrue(
        with.stderr()
            .contains("java.nio.channels.SocketChannel binds to 127.0.0.1:0 before connect"),
        with::describe);
    assertTrue(
        with.stderr()
            .contains(
                "java.nio.channels.SocketChannel: binds [IP_BIND_ADDRESS_NO_PORT set: "
                    + total
                    + "]"),
        with::describe);
  }
}
