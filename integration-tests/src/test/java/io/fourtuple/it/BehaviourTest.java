package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Everything the agent must leave alone, and the modes that change nothing, on every JDK of the
 * matrix.
 */
class BehaviourTest {
  private static final String CLIENT = "io.fourtuple.samples.BindBeforeConnect";

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void serverSocketsBoundToPortZeroStillGetAPortAndAccept(Jdk jdk) throws Exception {
    for (String address : List.of("127.0.0.1", "::1")) {
      ChildJvm.Run run =
          ChildJvm.on(jdk).agent().run("io.fourtuple.samples.ServerPortZero", address);
      run.assertSucceeded();
      assertTrue(run.number("serverSocketPort") > 0, run::describe);
      assertTrue(run.number("serverChannelPort") > 0, run::describe);
      assertEquals(2, run.number("accepted"), run::describe);
      assertTrue(run.stderr().contains("server socket, left alone: 1"), run::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void bindsToAnExplicitPortAreUntouched(Jdk jdk) throws Exception {
    for (String api : List.of("socket", "channel")) {
      ChildJvm.Run run =
          ChildJvm.on(jdk)
              .agent()
              .run(
                  CLIENT,
                  "--api",
                  api,
                  "--setup",
                  "explicit-port",
                  "--destinations",
                  "3",
                  "--per-destination",
                  "3",
                  "--explicit-port-base",
                  "40000");
      run.assertSucceeded();
      assertEquals(9, run.number("connected"), run::describe);
      assertEquals(9, run.number("explicitPortKept"), run::describe);
      assertEquals(0, run.number("portZeroAfterBind"), run::describe);
      assertTrue(run.stderr().contains("explicit port, left alone: 9"), run::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void reuseAddressClientsAndIpv6GetThePerDestinationCapacity(Jdk jdk) throws Exception {
    ChildJvm.Run reuse =
        ChildJvm.on(jdk).agent().run(CLIENT, "--reuseaddr", "--per-destination", "12");
    reuse.assertSucceeded();
    assertEquals(RANGE * 10, reuse.number("connected"), reuse::describe);
    assertEquals(0, reuse.number("localPortMismatch"), reuse::describe);

    for (String api : List.of("socket", "channel")) {
      ChildJvm.Run v6 =
          ChildJvm.on(jdk)
              .agent()
              .run(CLIENT, "--api", api, "--source", "::1", "--per-destination", "12");
      v6.assertSucceeded();
      assertEquals(RANGE * 10, v6.number("connected"), v6::describe);
      assertEquals(0, v6.number("localPortMismatch"), v6::describe);
      ChildJvm.Run v6Without =
          ChildJvm.on(jdk).run(CLIENT, "--api", api, "--source", "::1", "--per-destination", "12");
      assertEquals(RANGE, v6Without.number("connected"), v6Without::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void connectsWithoutBindAreUnaffected(Jdk jdk) throws Exception {
    for (String api : List.of("socket", "channel")) {
      String[] args = {"--api", api, "--setup", "connect-only", "--per-destination", "12"};
      ChildJvm.Run without = ChildJvm.on(jdk).run(CLIENT, args);
      ChildJvm.Run with = ChildJvm.on(jdk).agent().run(CLIENT, args);
      with.assertSucceeded();
      // connect() without bind already shares ports per destination; the agent changes nothing.
      assertEquals(RANGE * 10, without.number("connected"), without::describe);
      assertEquals(RANGE * 10, with.number("connected"), with::describe);
      assertEquals(0, with.number("localPortMismatch"), with::describe);
      assertFalse(with.stderr().contains("IP_BIND_ADDRESS_NO_PORT set:"), with::describe);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void auditModeChangesNothingAndSaysWhatEnforceWouldDo(Jdk jdk) throws Exception {
    ChildJvm.Run run = ChildJvm.on(jdk).agent("mode=audit").run(CLIENT, "--per-destination", "12");
    run.assertSucceeded();
    assertEquals(RANGE, run.number("connected"), run::describe);
    assertEquals(0, run.number("portZeroAfterBind"), run::describe);
    assertTrue(run.stderr().contains("mode=audit"), run::describe);
    assertTrue(
        run.stderr().contains("enforce mode would set IP_BIND_ADDRESS_NO_PORT"), run::describe);
    assertTrue(
        run.stderr()
            .contains(
                "at io.fourtuple.samples.BindBeforeConnect.connectSocket(BindBeforeConnect.java:"),
        run::describe);
    assertTrue(run.stderr().contains("would be set (audit): 120,"), run::describe);
    assertTrue(run.stderr().contains("EADDRINUSE (Address already in use): 110"), run::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void theKillSwitchTurnsTheRewriteOff(Jdk jdk) throws Exception {
    ChildJvm.Run byArgument =
        ChildJvm.on(jdk).agent("noport.enabled=false").run(CLIENT, "--per-destination", "12");
    assertEquals(RANGE, byArgument.number("connected"), byArgument::describe);
    assertTrue(
        byArgument
            .stderr()
            .contains("switched off by fourtuple.noport.enabled=false (agent argument)"),
        byArgument::describe);

    ChildJvm.Run byEnvironment =
        ChildJvm.on(jdk)
            .agent()
            .env("FOURTUPLE_NOPORT_ENABLED", "false")
            .run(CLIENT, "--per-destination", "12");
    assertEquals(RANGE, byEnvironment.number("connected"), byEnvironment::describe);
    assertTrue(byEnvironment.stderr().contains("(environment variable)"), byEnvironment::describe);

    ChildJvm.Run disabled =
        ChildJvm.on(jdk)
            .agent()
            .jvmArg("-Dfourtuple.enabled=false")
            .run(CLIENT, "--per-destination", "12");
    assertEquals(RANGE, disabled.number("connected"), disabled::describe);
    assertEquals(
        1,
        disabled
                .stderr()
                .split("is disabled by fourtuple.enabled=false \\(system property\\)", -1)
                .length
            - 1,
        () -> "said once\n" + disabled.describe());
  }
}
