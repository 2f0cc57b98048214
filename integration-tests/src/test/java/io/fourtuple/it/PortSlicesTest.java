package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-JVM source-port slices ({@code fourtuple.ports.slice}, Linux 6.3+ {@code
 * IP_LOCAL_PORT_RANGE}), measured by the kernel: in a namespace whose range is 40000-40039, every
 * API the agent hooks draws its local ports from the slice 40020-40039 only (the ports the
 * connected sockets really have, read back through the JDK). A slice outside the range, or one that
 * does not parse, gets one line and the application runs on the whole range. Needs root and a
 * kernel with the option; {@link ChildJvm} skips (saying why) without root.
 */
class PortSlicesTest {
  private static final String MAIN = "io.fourtuple.samples.PortSlices";
  private static final int PER_API = 3;
  private static final int APIS = 5;

  static List<Jdk> jdks() {
    return Jdk.matrixWithPlainSocketImpl();
  }

  /** Skips, saying why, on a kernel without IP_LOCAL_PORT_RANGE (Linux 6.3+). */
  static void requireKernel() {
    String[] release = System.getProperty("os.version", "0.0").split("[.-]");
    int major = Integer.parseInt(release[0]);
    int minor = release.length > 1 ? Integer.parseInt(release[1]) : 0;
    if (major < 6 || (major == 6 && minor < 3)) {
      String message =
          "kernel " + System.getProperty("os.version") + " lacks IP_LOCAL_PORT_RANGE (Linux 6.3+)";
      System.err.println("SKIPPED: " + message);
      org.junit.jupiter.api.Assumptions.abort(message);
    }
  }

  private static ChildJvm child(Jdk jdk, String agentArgs) {
    requireKernel();
    return ChildJvm.on(jdk).ephemeralRange(40000, 40039).agent(agentArgs);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jdks")
  void everyApiDrawsItsLocalPortsFromTheSlice(Jdk jdk) throws Exception {
    ChildJvm.Run run =
        child(jdk, "ports.slice=40020-40039")
            .run(MAIN, "apis", "--port", "7000", "--per-api", "" + PER_API);
    run.assertSucceeded();
    // Socket and SocketChannel without bind and bound to port 0, AsynchronousSocketChannel.
    assertEquals(PER_API * APIS, run.number("connected"), run::describe);
    assertTrue(run.number("low") >= 40020, run::describe);
    assertTrue(run.number("high") <= 40039, run::describe);
    assertTrue(
        run.stderr().contains("port slice 40020-40039: IP_LOCAL_PORT_RANGE on every outbound"),
        run::describe);
    // The ledger counts against the slice.
    assertTrue(run.stderr().contains("pool 40020-40039 = 20 ports"), run::describe);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.fourtuple.it.Jdk#matrix")
  void aBadSliceGetsOneLineAndTheApplicationRunsOnTheWholeRange(Jdk jdk) throws Exception {
    ChildJvm.Run outside =
        child(jdk, "ports.slice=50000-50009").run(MAIN, "apis", "--port", "7000", "--per-api", "1");
    outside.assertSucceeded();
    assertEquals(APIS, outside.number("connected"), outside::describe);
    assertTrue(
        outside
            .stderr()
            .contains(
                "fourtuple.ports.slice=50000-50009 (agent argument) not applied: it lies outside"
                    + " this network namespace's ephemeral range 40000-40039 (40 ports)"),
        outside::describe);

    ChildJvm.Run reversed =
        child(jdk, "ports.slice=40039-40020").run(MAIN, "apis", "--port", "7000", "--per-api", "1");
    reversed.assertSucceeded();
    assertEquals(APIS, reversed.number("connected"), reversed::describe);
    assertEquals(1, reversed.agentLines().size(), reversed::describe);
    assertTrue(
        reversed
            .stderr()
            .contains(
                "ports.slice='40039-40020' (from agent argument) is not valid: expected none, or"
                    + " LOW-HIGH with 1 <= LOW <= HIGH <= 65535"),
        reversed::describe);
  }

  static List<org.junit.jupiter.params.provider.Arguments> nettyCases() {
    List<org.junit.jupiter.params.provider.Arguments> out = new java.util.ArrayList<>();
    for (boolean local : List.of(true, false)) {
      out.add(
          org.junit.jupiter.params.provider.Arguments.of(
              NettyEpollTest.jdk("17"), NettyEpollTest.LATEST_41, local));
      out.add(
          org.junit.jupiter.params.provider.Arguments.of(
              NettyEpollTest.jdk("25"), NettyEpollTest.LATEST_42, local));
    }
    return out;
  }

  /**
   * Netty epoll, counted by the kernel: with a slice of 5 of the namespace's 10 ports, 10
   * destinations hold 5 connections each, whether the channel binds to (127.0.0.1, 0) first (the
   * bind hook, with IP_BIND_ADDRESS_NO_PORT) or connects with no local address ({@code doConnect}'s
   * entry); without the slice they hold 10 each (NettyEpollTest).
   */
  @ParameterizedTest(name = "{0} Netty {1} local address {2}")
  @MethodSource("nettyCases")
  void nettyEpollChannelsDrawFromTheSlice(Jdk jdk, String netty, boolean local) throws Exception {
    requireKernel();
    int slice = 5;
    List<String> args = new java.util.ArrayList<>(List.of(NettyEpollTest.capacityArgs()));
    if (!local) {
      args.add("--no-local");
    }
    ChildJvm.Run run =
        NettyEpollTest.child(jdk, netty)
            .agent("ports.slice=" + ChildJvm.RANGE_LOW + "-" + (ChildJvm.RANGE_LOW + slice - 1))
            .run(NettyEpollTest.APP, args.toArray(new String[0]));
    NettyEpollTest.assertHeldAndWorking(run, slice * NettyEpollTest.DESTINATIONS);
    assertTrue(run.stdout().contains("Cannot assign requested address"), run::describe);
  }

  /**
   * Hot attach: a slice given to {@code attach} holds for the connections the service makes after
   * it (LegacyService's pool binds to port 0 before each connect: with the slice of 5 of the 10
   * ports, 5 per destination), {@code status} shows it and its use, and after detach the service is
   * back to the whole range.
   */
  @Test
  void aSliceGivenAtAttachHoldsForConnectionsMadeAfterIt() throws Exception {
    requireKernel();
    try (ServiceJvm service =
        ServiceJvm.start(AttachCommandsTest.jdk17(), List.of(), "--interval-ms", "0")) {
      String pid = String.valueOf(service.pid());
      service.nextFullCycleHeld();
      String slice = ChildJvm.RANGE_LOW + "-" + (ChildJvm.RANGE_LOW + 4);
      ServiceJvm.Cli attach = ServiceJvm.cli("attach", pid, "ports.slice=" + slice);
      assertEquals(0, attach.exit(), attach::describe);
      assertEquals(5 * AttachTest.DESTINATIONS, service.nextFullCycleHeld(), service::describe);
      ServiceJvm.Cli status = ServiceJvm.cli("status", pid);
      assertEquals(0, status.exit(), status::describe);
      assertTrue(
          status
              .stdout()
              .contains("portSlice: " + slice + " (5 ports), IP_LOCAL_PORT_RANGE set on"),
          status::describe);
      assertTrue(status.stdout().contains(" of its 5 ports in use; "), status::describe);
      ServiceJvm.Cli detach = ServiceJvm.cli("detach", pid);
      assertEquals(0, detach.exit(), detach::describe);
      AttachTest.assertHeldTheRange(service);
    }
  }

  /**
   * The measurement of docs/slices.md, short: a churner and a steady service in one namespace of 40
   * ports; with slices of 20 + 20 the steady one keeps at least 99.9% of its connects (the script
   * exits 0), while the churner fails inside its own slice. About 2 x 25 s.
   */
  @Test
  void aChurningNeighbourNoLongerStarvesASteadyServiceWithSlices() throws Exception {
    requireKernel();
    ChildJvm.requireNamespaces();
    Path script = Paths.get("../benchmarks/slices.sh").toAbsolutePath();
    ProcessBuilder builder =
        new ProcessBuilder("bash", script.toString(), "5", "20").redirectErrorStream(true);
    builder.environment().put("SKIP_BUILD", "1");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    Process process = builder.start();
    if (!process.waitFor(110, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("benchmarks/slices.sh did not finish in 110 s");
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), out);
    assertTrue(out.contains("sliced: churner RESULT"), out);
    assertTrue(out.contains("goal met"), out);
  }
}
