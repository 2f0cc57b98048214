package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.io.FileDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-JVM tier: the agent jar is attached to this very JVM through the JDK's attach API (the
 * route the command line takes, {@code -Djdk.attach.allowAttachSelf=true} in the surefire
 * configuration) and detached again in {@code finally}, so the other tests of this JVM run without
 * it. Behaviour, not bytes: right after {@code bind(127.0.0.1, 0)} the kernel's own view of a
 * socket's local port ({@code getsockname} on its descriptor, which the agent does not hook) is 0
 * only when {@code IP_BIND_ADDRESS_NO_PORT} was set, and a real port once detach has restored the
 * JDK's original code. The application's own read ({@code getLocalPort()}) shows a real port in
 * every case: with the agent, that read gives the deferred socket its port.
 */
class InJvmAttachTest {
  private final InetAddress loopback = InetAddress.getLoopbackAddress();

  @AfterEach
  void detachWhateverHappened() throws Exception {
    command("detach");
  }

  @Test
  void attachRewritesBindsDetachRestoresTheOriginalCodeAndAttachWorksAgain() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, loopback)) {
      assertNotEquals(
          0, socketPortAfterBind(listener), "without the agent the kernel picks at bind");

      assertTrue(command("attach").startsWith("exit=0\nattached to pid"));
      try {
        assertEquals(0, socketPortAfterBind(listener), "IP_BIND_ADDRESS_NO_PORT defers the choice");
        assertEquals(0, channelPortAfterBind(listener));
        String again = command("attach");
        assertTrue(again.contains("already attached"), again);

        String status = command("status");
        assertTrue(status.startsWith("exit=0\nfourtuple status of pid"), status);
        assertTrue(status.contains("InJvmAttachTest.socketPortAfterBind"), status);
        assertTrue(status.contains("IP_BIND_ADDRESS_NO_PORT is set here"), status);
      } finally {
        String detached = command("detach");
        assertTrue(detached.contains("original bytecode restored"), detached);
      }
      assertNotEquals(0, socketPortAfterBind(listener), "detach restores the JDK's own bind");
      assertNotEquals(0, channelPortAfterBind(listener));
      assertTrue(command("status").startsWith("exit=3\n"));

      assertTrue(command("attach,mode=audit").startsWith("exit=0\n"));
      try {
        assertNotEquals(0, socketPortAfterBind(listener), "audit observes only");
        String report = command("report");
        assertTrue(report.contains("would set IP_BIND_ADDRESS_NO_PORT"), report);
      } finally {
        command("detach");
      }
    }
  }

  private int socketPortAfterBind(ServerSocket listener) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(loopback, 0));
      int port = kernelPort(socketDescriptor(s));
      s.connect(listener.getLocalSocketAddress(), 5000);
      assertNotEquals(0, s.getLocalPort(), "connected sockets always have a port");
      return port;
    }
  }

  private int channelPortAfterBind(ServerSocket listener) throws Exception {
    try (SocketChannel ch = SocketChannel.open()) {
      ch.bind(new InetSocketAddress(loopback, 0));
      int port = kernelPort((FileDescriptor) field(ch, "fd"));
      ch.connect(listener.getLocalSocketAddress());
      return port;
    }
  }

  @Test
  void anApplicationReadBetweenBindAndConnectGetsARealPortWithTheAgent() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, loopback)) {
      assertTrue(command("attach").startsWith("exit=0\nattached to pid"));
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(loopback, 0));
        assertEquals(0, kernelPort(socketDescriptor(s)), "deferred until something reads it");
        int read = s.getLocalPort();
        assertNotEquals(0, read, "the read gives the socket its port, as the JDK would have");
        assertEquals(read, kernelPort(socketDescriptor(s)), "the kernel holds that port now");
        s.connect(listener.getLocalSocketAddress(), 5000);
        assertEquals(read, s.getLocalPort(), "connect keeps it");
        String status = command("status");
        assertTrue(status.contains("local port read before connect 1"), status);
      } finally {
        command("detach");
      }
    }
  }

  /** {@code getsockname} through the JDK's {@code sun.nio.ch.Net.localPort(FileDescriptor)}. */
  private static int kernelPort(FileDescriptor fd) throws Exception {
    Method localPort =
        Class.forName("sun.nio.ch.Net").getDeclaredMethod("localPort", FileDescriptor.class);
    localPort.setAccessible(true);
    return (Integer) localPort.invoke(null, fd);
  }

  /** {@code Socket.impl}, its delegate on JDK 13+, and that implementation's descriptor. */
  private static FileDescriptor socketDescriptor(Socket s) throws Exception {
    Object impl = field(s, "impl");
    Class<?> delegating = Class.forName("java.net.DelegatingSocketImpl");
    if (delegating.isInstance(impl)) {
      impl = field(impl, "delegate");
    }
    return (FileDescriptor) field(impl, "fd");
  }

  private static Object field(Object target, String name) throws Exception {
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException next) {
        // the superclass
      }
    }
    throw new NoSuchFieldException(name);
  }

  /** Loads the agent jar into this JVM with {@code command=<what>} and returns its reply file. */
  private static String command(String what) throws Exception {
    // The agent answers only into a private directory named like the command line's (mode 0700).
    Path dir = Files.createTempDirectory("fourtuple-cli-injvm");
    Path reply = dir.resolve("reply");
    VirtualMachine vm = VirtualMachine.attach(String.valueOf(ProcessHandle.current().pid()));
    try {
      vm.loadAgent(
          ChildJvm.AGENT.toAbsolutePath().toString(), "command=" + what + ",reply=" + reply);
      return Files.readString(reply, StandardCharsets.UTF_8);
    } finally {
      vm.detach();
      Files.deleteIfExists(reply);
      Files.deleteIfExists(dir);
    }
  }
}
