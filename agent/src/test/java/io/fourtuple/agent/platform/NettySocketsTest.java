package io.fourtuple.agent.platform;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Without Netty on the class path: everything answers "no" and nothing throws. */
class NettySocketsTest {
  @Test
  void nonNettyObjectsAreNeitherClientsNorDescriptors() {
    assertFalse(NettySockets.isTcpClient(new Object()));
    assertFalse(NettySockets.isTcpClient(null));
    assertNull(NettySockets.descriptor(null));
    assertNull(NettySockets.descriptor("not a socket"));
    assertNull(NettySockets.localAddress(null));
    assertNull(NettySockets.requestedRemoteAddress(new Object()));
  }

  @Test
  void namesMatchRelocatedCopiesAtAPackageBoundaryOnly() {
    assertTrue(NettySockets.nameIs(String.class, "java.lang.String"));
    assertTrue(NettySockets.nameIs(String.class, "lang.String"));
    assertFalse(NettySockets.nameIs(String.class, "ang.String"));
  }
}
