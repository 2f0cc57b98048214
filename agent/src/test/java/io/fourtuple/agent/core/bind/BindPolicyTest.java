package io.fourtuple.agent.core.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.config.ConfigException;
import io.fourtuple.agent.core.config.ConfigParser;
import io.fourtuple.agent.platform.FakeSocketOptions;
import io.fourtuple.agent.platform.SocketOptions;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BindPolicyTest {

  /** Records what the policy reports. */
  private static final class Listener implements BindPolicy.FailureListener {
    final List<BindOutcome> outcomes = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();

    @Override
    public void onFailure(BindOutcome outcome, Throwable error) {
      outcomes.add(outcome);
      errors.add(error);
    }
  }

  private final Listener listener = new Listener();

  private static AgentConfig config(String args) throws ConfigException {
    return ConfigParser.parse(args, Map.of(), Map.of());
  }

  private BindPolicy policy(String args, FakeSocketOptions options) throws ConfigException {
    return new BindPolicy(config(args), options, listener);
  }

  @Test
  void serverSocketIsNeverChanged() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.SERVER_SOCKET, policy.beforeBind(new FileDescriptor(), 0, true));
    assertEquals(BindOutcome.SERVER_SOCKET, policy.beforeBind(new FileDescriptor(), 8080, true));
    assertTrue(options.attempts.isEmpty());
    assertTrue(listener.outcomes.isEmpty());
  }

  @Test
  void serverSocketInAuditModeIsStillAServerSocket() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    assertEquals(
        BindOutcome.SERVER_SOCKET,
        policy("mode=audit", options).beforeBind(new FileDescriptor(), 0, true));
    assertTrue(options.attempts.isEmpty());
  }

  @Test
  void explicitPortIsLeftAlone() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.EXPLICIT_PORT, policy.beforeBind(new FileDescriptor(), 40000, false));
    assertEquals(BindOutcome.EXPLICIT_PORT, policy.beforeBind(new FileDescriptor(), 1, false));
    assertTrue(options.attempts.isEmpty());
  }

  @Test
  void auditModeWouldApplyAndSetsNothing() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    BindPolicy policy = policy("mode=audit", options);
    assertEquals(BindOutcome.WOULD_APPLY, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(BindOutcome.EXPLICIT_PORT, policy.beforeBind(new FileDescriptor(), 5000, false));
    assertTrue(options.attempts.isEmpty());
    assertTrue(listener.outcomes.isEmpty());
  }

  @Test
  void killSwitchLeavesBindsAlone() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    BindPolicy policy = policy("noport.enabled=false", options);
    assertEquals(BindOutcome.SWITCHED_OFF, policy.beforeBind(new FileDescriptor(), 0, false));
    assertTrue(options.attempts.isEmpty());
    assertTrue(listener.outcomes.isEmpty());
  }

  @Test
  void unavailableOptionsAreNotTried() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.unavailable();
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.UNAVAILABLE, policy.beforeBind(new FileDescriptor(), 0, false));
    assertTrue(options.attempts.isEmpty());
    assertTrue(listener.outcomes.isEmpty());
    assertNull(policy.refusedBecause());
  }

  @Test
  void clientBindToPortZeroGetsTheOption() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available();
    BindPolicy policy = policy(null, options);
    FileDescriptor first = new FileDescriptor();
    FileDescriptor second = new FileDescriptor();
    assertEquals(BindOutcome.APPLIED, policy.beforeBind(first, 0, false));
    assertEquals(BindOutcome.APPLIED, policy.beforeBind(second, 0, false));
    assertEquals(2, options.applied.size());
    assertSame(first, options.applied.get(0));
    assertSame(second, options.applied.get(1));
    assertTrue(listener.outcomes.isEmpty());
    assertNull(policy.refusedBecause());
  }

  @Test
  void kernelRefusalTurnsTheRewriteOffOnce() throws Exception {
    SocketException refusal = new SocketException("Protocol not available");
    FakeSocketOptions options = FakeSocketOptions.available().failNextWith(refusal);
    BindPolicy policy = policy(null, options);

    assertEquals(BindOutcome.REFUSED_BY_KERNEL, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(List.of(BindOutcome.REFUSED_BY_KERNEL), listener.outcomes);
    assertSame(refusal, listener.errors.get(0));
    assertEquals("Protocol not available", policy.refusedBecause());

    for (int i = 0; i < 3; i++) {
      assertEquals(BindOutcome.UNAVAILABLE, policy.beforeBind(new FileDescriptor(), 0, false));
    }
    assertEquals(1, options.attempts.size(), "the option is not tried again after a refusal");
    assertEquals(1, listener.outcomes.size());
    // Other kinds of bind are still classified as before.
    assertEquals(BindOutcome.SERVER_SOCKET, policy.beforeBind(new FileDescriptor(), 0, true));
    assertEquals(BindOutcome.EXPLICIT_PORT, policy.beforeBind(new FileDescriptor(), 9, false));
  }

  @Test
  void operationNotSupportedIsAKernelRefusalToo() throws Exception {
    FakeSocketOptions options =
        FakeSocketOptions.available().failNextWith(new SocketException("Operation not supported"));
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.REFUSED_BY_KERNEL, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(BindOutcome.UNAVAILABLE, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals("Operation not supported", policy.refusedBecause());
  }

  @Test
  void closedDescriptorFailsQuietly() throws Exception {
    FakeSocketOptions options =
        FakeSocketOptions.available().failNextWith(new SocketException("Bad file descriptor"));
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.FAILED, policy.beforeBind(new FileDescriptor(), 0, false));
    assertTrue(listener.outcomes.isEmpty());
    assertNull(policy.refusedBecause());
    // The rewrite stays live for the next socket.
    assertEquals(BindOutcome.APPLIED, policy.beforeBind(new FileDescriptor(), 0, false));
  }

  @Test
  void otherFailureIsReportedAndTheRewriteStaysLive() throws Exception {
    IOException failure = new SocketException("Invalid argument");
    FakeSocketOptions options = FakeSocketOptions.available().failNextWith(failure);
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.FAILED, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(List.of(BindOutcome.FAILED), listener.outcomes);
    assertSame(failure, listener.errors.get(0));
    assertNull(policy.refusedBecause());
    assertEquals(BindOutcome.APPLIED, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(2, options.attempts.size());
  }

  @Test
  void failureWithoutMessageIsAnOtherFailure() throws Exception {
    FakeSocketOptions options = FakeSocketOptions.available().failNextWith(new IOException());
    BindPolicy policy = policy(null, options);
    assertEquals(BindOutcome.FAILED, policy.beforeBind(new FileDescriptor(), 0, false));
    assertEquals(List.of(BindOutcome.FAILED), listener.outcomes);
  }

  @Test
  void outcomesSayWhetherTheBindWasAClientPortZeroBind() {
    for (BindOutcome o :
        List.of(
            BindOutcome.APPLIED,
            BindOutcome.WOULD_APPLY,
            BindOutcome.SWITCHED_OFF,
            BindOutcome.UNAVAILABLE,
            BindOutcome.REFUSED_BY_KERNEL,
            BindOutcome.FAILED)) {
      assertTrue(o.isClientPortZero(), o.name());
    }
    for (BindOutcome o :
        List.of(
            BindOutcome.EXPLICIT_PORT,
            BindOutcome.SERVER_SOCKET,
            BindOutcome.NOT_INET,
            BindOutcome.NOT_OPEN)) {
      assertFalse(o.isClientPortZero(), o.name());
    }
  }

  @Test
  void aSocketWithoutDescriptorIsLeftToTheJdkAndNotReported() throws Exception {
    FakeSocketOptions options =
        FakeSocketOptions.available().failNextWith(new SocketOptions.NotOpenException());
    BindPolicy policy = policy("", options);
    assertEquals(BindOutcome.NOT_OPEN, policy.beforeBind(new FileDescriptor(), 0, false));
    assertFalse(policy.hasApplied());
    assertEquals(BindOutcome.APPLIED, policy.beforeBind(new FileDescriptor(), 0, false));
    assertTrue(policy.hasApplied());
  }
}
