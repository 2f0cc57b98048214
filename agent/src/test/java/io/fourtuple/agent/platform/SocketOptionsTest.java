package io.fourtuple.agent.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.platform.SocketOptions.Failure;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class SocketOptionsTest {

  @Test
  void kernelWithoutTheOptionIsUnsupported() {
    // ENOPROTOOPT and EOPNOTSUPP as sun.nio.ch.Net reports them (strerror text).
    assertEquals(
        Failure.UNSUPPORTED, Failure.classify(new SocketException("Protocol not available")));
    assertEquals(
        Failure.UNSUPPORTED, Failure.classify(new SocketException("Operation not supported")));
    assertEquals(
        Failure.UNSUPPORTED,
        Failure.classify(new SocketException("Protocol not available (setsockopt failed)")));
  }

  @Test
  void closedDescriptorIsClosed() {
    assertEquals(Failure.CLOSED, Failure.classify(new SocketException("Bad file descriptor")));
    assertEquals(Failure.CLOSED, Failure.classify(new SocketException("Socket closed")));
  }

  @Test
  void everythingElseIsOther() {
    assertEquals(Failure.OTHER, Failure.classify(new SocketException("Invalid argument")));
    assertEquals(
        Failure.OTHER, Failure.classify(new BindException("Cannot assign requested address")));
    assertEquals(Failure.OTHER, Failure.classify(new BindException("Address already in use")));
    assertEquals(Failure.OTHER, Failure.classify(new ConnectException("Connection refused")));
    assertEquals(Failure.OTHER, Failure.classify(new SocketTimeoutException("connect timed out")));
    assertEquals(Failure.OTHER, Failure.classify(new NoRouteToHostException("No route to host")));
    assertEquals(Failure.OTHER, Failure.classify(new SocketException()));
    assertEquals(Failure.OTHER, Failure.classify(new IllegalStateException((String) null)));
  }

  @Test
  void unavailableSaysWhyAndThrows() {
    SocketOptions options = new SocketOptions.Unavailable("the OS is Windows, not Linux", "none");
    assertFalse(options.isAvailable());
    assertEquals("the OS is Windows, not Linux", options.unavailabilityCause());
    assertEquals("none", options.mechanism());
    IOException e =
        assertThrows(IOException.class, () -> options.setBindAddressNoPort(new FileDescriptor()));
    assertTrue(e.getMessage().contains("the OS is Windows, not Linux"), e.getMessage());
  }

  @Test
  void probeOnAnotherOsIsUnavailable() {
    SocketOptions options =
        SocketOptions.ForJdkNet.probe(KernelInfo.of("Mac OS X", "23.1.0", -1, -1));
    assertFalse(options.isAvailable());
    assertTrue(options.unavailabilityCause().contains("Mac OS X"), options.unavailabilityCause());
  }

  @Test
  void probeOnAnOldKernelIsUnavailable() {
    SocketOptions options =
        SocketOptions.ForJdkNet.probe(KernelInfo.of("Linux", "4.1.52", 32768, 60999));
    assertFalse(options.isAvailable());
    assertTrue(options.unavailabilityCause().contains("4.1.52"), options.unavailabilityCause());
  }

  /**
   * A socket never created or already closed has no valid descriptor: nothing reaches native code
   * (JDK 8's plain implementation reaches the bind hook in that state; the JVM used to crash in
   * jni_fast_GetIntField).
   */
  @Test
  void noDescriptorNeverReachesNativeCode() throws Exception {
    SocketOptions options =
        new SocketOptions.ForJdkNet(
            java.lang.invoke.MethodHandles.lookup()
                .findStatic(
                    SocketOptionsTest.class,
                    "nativeCall",
                    java.lang.invoke.MethodType.methodType(
                        void.class,
                        FileDescriptor.class,
                        boolean.class,
                        int.class,
                        int.class,
                        int.class,
                        boolean.class)));
    assertThrows(SocketOptions.NotOpenException.class, () -> options.setBindAddressNoPort(null));
    assertThrows(
        SocketOptions.NotOpenException.class,
        () -> options.setBindAddressNoPort(new FileDescriptor()));
    assertThrows(NativeCalled.class, () -> options.setBindAddressNoPort(FileDescriptor.in));
  }

  /** Stands in for {@code Net.setIntOption0}: reaching it is what must not happen above. */
  static void nativeCall(
      FileDescriptor fd, boolean m, int level, int option, int value, boolean b) {
    throw new NativeCalled();
  }

  static final class NativeCalled extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }
}
