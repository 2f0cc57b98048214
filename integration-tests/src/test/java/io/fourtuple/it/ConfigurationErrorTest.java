package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configuration gets one message naming key, value and source; the agent stays out and the
 * application runs as if it were not there. Strict mode fails the JVM start instead.
 */
class ConfigurationErrorTest {
  private static final String CLIENT = "io.fourtuple.samples.BindBeforeConnect";

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void badValuesAndKeysLeaveTheApplicationRunningWithOneClearMessage(Jdk jdk) throws Exception {
    ChildJvm.Run badValue = ChildJvm.on(jdk).agent("mode=enfroce").run(CLIENT);
    badValue.assertSucceeded();
    assertEquals(RANGE, badValue.number("connected"), badValue::describe);
    assertEquals(1, badValue.agentLines().size(), badValue::describe);
    assertTrue(
        badValue
            .stderr()
            .contains(
                "fourtuple: invalid configuration: mode='enfroce' (from agent argument) is not"
                    + " valid: expected one of enforce, audit; the agent is not active"),
        badValue::describe);

    ChildJvm.Run badKey = ChildJvm.on(jdk).agent().jvmArg("-Dfourtuple.moed=audit").run(CLIENT);
    badKey.assertSucceeded();
    assertEquals(RANGE, badKey.number("connected"), badKey::describe);
    assertEquals(1, badKey.agentLines().size(), badKey::describe);
    assertTrue(
        badKey
            .stderr()
            .contains(
                "unknown key 'fourtuple.moed' (from system property), did you mean"
                    + " 'fourtuple.mode'?"),
        badKey::describe);

    ChildJvm.Run badEnvironment =
        ChildJvm.on(jdk).agent().env("FOURTUPLE_LOG_LEVEL", "loud").run(CLIENT);
    badEnvironment.assertSucceeded();
    assertTrue(
        badEnvironment.stderr().contains("FOURTUPLE_LOG_LEVEL='loud' (from environment variable)"),
        badEnvironment::describe);

    ChildJvm.Run badArgument = ChildJvm.on(jdk).agent("audit").run(CLIENT);
    badArgument.assertSucceeded();
    assertTrue(
        badArgument.stderr().contains("agent argument 'audit' is not key=value"),
        badArgument::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void strictModeFailsTheStartOnBadConfiguration(Jdk jdk) throws Exception {
    ChildJvm.Run run = ChildJvm.on(jdk).agent("strict=true,mode=enfroce").run(CLIENT);
    assertNotEquals(0, run.exitCode(), run::describe);
    assertTrue(run.stderr().contains("mode='enfroce' (from agent argument)"), run::describe);
    assertTrue(
        run.stderr().contains("fourtuple.strict=true: failing the JVM start"), run::describe);
    assertTrue(!run.stdout().contains("RESULT"), run::describe);
  }
}
