package io.fourtuple.it;

import static io.fourtuple.it.ChildJvm.RANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code AsynchronousSocketChannel} on every JDK of the matrix, measured by the kernel in a network
 * namespace with 10 ephemeral ports: bind-before-connect through the {@code Future} and the {@code
 * CompletionHandler} forms of connect holds R connections without the agent and R per destination
 * with it; the exhaustion causes (EADDRINUSE at bind without the option, EADDRNOTAVAIL at connect
 * with it) reach the agent's counters; audit mode changes nothing and names the call site;
 * listeners bound to port 0 are left alone; the port ledger's per-destination counts equal {@code
 * ss}.
 */
class AsyncChannelTest {
  private static final String CLIENT = "io.fourtuple.samples.BindBeforeConnect";
  private static final String ASYNC = "java.nio.channels.AsynchronousSocketChannel: ";
  static final int DESTINATIONS = 10;
  static final int PER_DESTINATION = 12;

  static List<Jdk> jdks() {
    return Jdk.matrix();
  }

  static List<Arguments> jdksAndForms() {
    List<Arguments> out = new ArrayList<>();
    for (Jdk jdk : Jdk.matrix()) {
      for (String form : List.of("async", "async-handler")) {
        out.add(Arguments.of(jdk, form));
      }
    }
    return out;
  }

  /** The agent's exit summary for the asynchronous channel API. */
  static String asyncSummary(ChildJvm.Run run) {
    for (String line : run.stderr().split("\n")) {
      int at = line.indexOf(ASYNC);
      if (line.contains("summary at exit") && at >= 0) {
        return line.substring(at);
      }
    }
    throw new AssertionError("no summary for the asynchronous channel\n" + run.describe());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("jdksAndForms")
  void bindBeforeConnectHoldsRangeTimesDestinationsWithTheAgent(Jdk jdk, String form)
      throws Exception {
    String[] args = {
      "--api", form, "--destinations", "" + DESTINATIONS, "--per-destination", "" + PER_DESTINATION
    };

    ChildJvm.Run without = ChildJvm.on(jdk).run(CLIENT, args);
    without.assertSucceeded();
    assertEquals(RANGE, without.number("connected"), without::describe);
    assertEquals(0, without.number("portZeroAfterBind"), without::describe);
    assertTrue(
        without.stdout().contains("BindException: Address already in use"), without::describe);

    ChildJvm.Run with = ChildJvm.on(jdk).agent().run(CLIENT, args);
    with.assertSucceeded();
    assertEquals(RANGE * DESTINATIONS, with.number("connected"), with::describe);
    assertEquals(DESTINATIONS, with.number("destinationsReached"), with::describe);
    assertEquals(0, with.number("localPortMismatch"), with::describe);
    int failed = DESTINATIONS * PER_DESTINATION - RANGE * DESTINATIONS;
    assertTrue(
        with.stdout()
            .contains("failed " + failed + " x java.net.BindException: Cannot assign requested"),
        with::describe);
    String summary = asyncSummary(with);
    assertTrue(
        summary.contains(
            "binds [IP_BIND_ADDRESS_NO_PORT set: " + DESTINATIONS * PER_DESTINATION + "]"),
        summary);
    // Every connect's outcome reached the hooks, failures with their cause, whichever thread
    // completed it.
    assertTrue(summary.contains("connects " + RANGE * DESTINATIONS + " ok"), summary);
    assertTrue(
        summary.contains(
            "connect failures [EADDRNOTAVAIL (Cannot assign requested address): " + failed + "]"),
        summary);
    assertTrue(
        with.stderr()
            .contains("java.nio.channels.AsynchronousSocketChannel connect to /127.0.0.1:"),
        with::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void auditModeChangesNothingAndNamesTheCallSite(Jdk jdk) throws Exception {
    ChildJvm.Run run =
        ChildJvm.on(jdk)
            .agent("mode=audit")
            .run(CLIENT, "--api", "async-handler", "--per-destination", "" + PER_DESTINATION);
    run.assertSucceeded();
    assertEquals(RANGE, run.number("connected"), run::describe);
    assertEquals(0, run.number("portZeroAfterBind"), run::describe);
    assertTrue(
        run.stderr()
            .contains(
                "audit: java.nio.channels.AsynchronousSocketChannel binds to 127.0.0.1:0 before"
                    + " connect at"
                    + " io.fourtuple.samples.BindBeforeConnect.connectAsync(BindBeforeConnect.java:"),
        run::describe);
    assertTrue(
        run.stderr().contains("enforce mode would set IP_BIND_ADDRESS_NO_PORT"), run::describe);
    String summary = asyncSummary(run);
    int failed = DESTINATIONS * PER_DESTINATION - RANGE;
    assertTrue(
        summary.contains("would be set (audit): " + DESTINATIONS * PER_DESTINATION), summary);
    assertTrue(
        summary.contains("bind failures [EADDRINUSE (Address already in use): " + failed + "]"),
        summary);
    assertTrue(summary.contains("connects " + RANGE + " ok"), summary);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void listenersBoundToPortZeroAreLeftAlone(Jdk jdk) throws Exception {
    for (String address : List.of("127.0.0.1", "::1")) {
      ChildJvm.Run run =
          ChildJvm.on(jdk).agent().run("io.fourtuple.samples.ServerPortZero", address);
      run.assertSucceeded();
      assertTrue(run.number("asyncServerPort") > 0, run::describe);
      assertEquals(1, run.number("asyncAccepted"), run::describe);
      assertEquals(2, run.number("accepted"), run::describe);
      // The asynchronous client bound to port 0 got the option; the asynchronous listener was not
      // seen.
      String summary = asyncSummary(run);
      assertTrue(summary.contains("binds [IP_BIND_ADDRESS_NO_PORT set: 1]"), summary);
      assertTrue(summary.contains("connects 1 ok"), summary);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void ledgerCountsEqualTheKernelTable(Jdk jdk) throws Exception {
    // 2 destinations; per destination: 2 held open, 1 dropped without close, 5 short ones
    // (TIME_WAIT).
    // A dropped AsynchronousSocketChannel stays open: its channel group keeps it registered, so the
    // kernel and the ledger both count it as established.
    ChildJvm.Run run = LedgerTest.holdLeakAndSquat(jdk, "async");
    run.assertSucceeded();
    assertEquals("4", run.result().get("held"), run::describe);
    Map<String, Map<String, String>> ss = LedgerTest.lines(run.stdout(), "SS", "dst");
    Map<String, Map<String, String>> mbean =
        LedgerTest.lines(run.stdout(), "MBEAN-ROW", "destination");
    assertEquals(2, ss.size(), run::describe);
    assertEquals(ss.keySet(), mbean.keySet(), run::describe);
    for (String dst : ss.keySet()) {
      Map<String, String> kernel = ss.get(dst);
      Map<String, String> ledger = mbean.get(dst);
      String where = dst + "\n" + run.describe();
      assertEquals("3", kernel.get("established"), where);
      assertEquals(kernel.get("established"), ledger.get("established"), where);
      assertEquals(kernel.get("established"), ledger.get("live"), where);
      assertEquals(kernel.get("timewait"), ledger.get("timeWait"), where);
      assertTrue(Integer.parseInt(kernel.get("timewait")) >= 4, where);
      assertEquals(String.valueOf(RANGE), ledger.get("pool"), where);
    }
    // The connects completed on the channel group's thread, but the call sites are the
    // application's.
    Map<?, ?> report = (Map<?, ?>) MiniJson.parse(LedgerTest.mbeanJson(run));
    for (Object row : (List<?>) report.get("destinations")) {
      List<?> sites = (List<?>) ((Map<?, ?>) row).get("callSites");
      assertEquals(1, sites.size(), () -> row + "\n" + run.describe());
      String site = (String) ((Map<?, ?>) sites.get(0)).get("site");
      assertTrue(site.startsWith("io.fourtuple.samples.ShortConnections$Client.open("), site);
    }
  }
}
