package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The main job, measured by the kernel: a client that binds to (ip, 0) before connecting holds R
 * connections in total without the agent, and R per destination with it. R = 10 ports, D = 10
 * destinations, 12 attempts per destination, so exhaustion shows in both runs.
 */
class CapacityTest {
  static final int DESTINATIONS = 10;
  static final int PER_DESTINATION = 12;

  static List<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Jdk jdk : Jdk.matrixWithPlainSocketImpl()) {
      for (String api : List.of("socket", "channel")) {
        if (jdk.label().contains("usePlainSocketImpl") && api.equals("channel")) {
          continue; // the property changes java.net.Socket only
        }
        out.add(Arguments.of(jdk, api));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void bindBeforeConnectHoldsRangeTimesDestinationsWithTheAgent(Jdk jdk, String api)
      throws Exception {
    String[] args = {
      "--api", api, "--destinations", "" + DESTINATIONS, "--per-destination", "" + PER_DESTINATION
    };

    ChildJvm.Run without = ChildJvm.on(jdk).run("io.fourtuple.samples.BindBeforeConnect", args);
    without.assertSucceeded();
    assertEquals(RANGE, without.number("connected"), without::describe);
    assertEquals(0, without.number("portZeroAfterBind"), without::describe);
    assertTrue(without.stdout().contains("Address already in use"), without::describe);

    ChildJvm.Run with =
        ChildJvm.on(jdk).agent().run("io.fourtuple.samples.BindBeforeConnect", args);
    with.assertSucceeded();
    assertEquals(RANGE * DESTINATIONS, with.number("connected"), with::describe);
    assertEquals(DESTINATIONS, with.number("destinationsReached"), with::describe);
    // Nothing read the port between bind and connect, so the kernel chose each at connect; after
    // connect each local port is the one the listener saw as its peer.
    assertEquals(0, with.number("localPortMismatch"), with::describe);
    // Exhaustion now surfaces per destination, at connect.
    assertTrue(with.stdout().contains("Cannot assign requested address"), with::describe);
    assertTrue(
        with.stderr().contains("IP_BIND_ADDRESS_NO_PORT set: " + DESTINATIONS * PER_DESTINATION),
        with::describe);
  }

  /**
   * Code that reads its local port between bind and connect gets the port the JDK would have given
   * it at bind, and the socket then reserves it for every destination, as without the agent: the
   * capacity stays the range, not range x destinations. Once the range is used up there is no port
   * to give (the JDK's own bind would have failed there): the read returns 0 and the connect, with
   * every port reserved, fails as it would have.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void readingThePortBeforeConnectKeepsTheJdkBehaviour(Jdk jdk, String api) throws Exception {
    String[] args = {
      "--api",
      api,
      "--destinations",
      "" + DESTINATIONS,
      "--per-destination",
      "" + PER_DESTINATION,
      "--read-port-after-bind"
    };
    ChildJvm.Run with =
        ChildJvm.on(jdk).agent().run("io.fourtuple.samples.BindBeforeConnect", args);
    with.assertSucceeded();
    assertEquals(RANGE, with.number("connected"), with::describe);
    assertEquals(0, with.number("localPortMismatch"), with::describe);
    // Every socket that connected had read a real port (the others failed at connect).
    assertEquals(0, with.number("portZeroAfterBind"), with::describe);
    assertEquals(DESTINATIONS * PER_DESTINATION - RANGE, with.number("failed"), with::describe);
    assertTrue(with.stdout().contains("Cannot assign requested address"), with::describe);
    assertTrue(
        with.stderr()
            .contains(
                "local port read before connect "
                    + RANGE
                    + " (port given at the read: JDK behaviour kept)"),
        with::describe);
    assertTrue(with.stderr().contains("no port was free to give it"), with::describe);
  }
}
