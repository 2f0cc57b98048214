package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A class loader that does not resolve the dispatcher to the boot loader's copy (here: none is in
 * the boot loader, as in OSGi without boot delegation the bundle cannot see it) gets no woven Netty
 * class, because the woven call would throw {@code NoClassDefFoundError} into the application.
 */
class SocketWeaverLoaderTest {
  @Test
  void nettyInALoaderThatCannotSeeTheDispatcherIsLeftUnchanged() throws Exception {
    SocketWeaver weaver = new SocketWeaver(List.of(), NettyHooks.all());
    try (URLClassLoader isolated = new URLClassLoader(new URL[0], null)) {
      for (int i = 0; i < 2; i++) {
        assertNull(
            weaver.transform(
                isolated,
                "io/grpc/netty/shaded/io/netty/channel/unix/Socket",
                null,
                null,
                new byte[0]));
      }
    }
    List<String> problems = weaver.problems();
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).contains("does not see the agent's dispatcher"), problems::toString);
    assertTrue(weaver.woven().isEmpty());
  }

  @Test
  void otherClassesOfAnyLoaderAreNotEvenLookedAt() throws Exception {
    SocketWeaver weaver = new SocketWeaver(List.of(), NettyHooks.all());
    try (URLClassLoader isolated = new URLClassLoader(new URL[0], null)) {
      assertNull(weaver.transform(isolated, "com/example/Client", null, null, new byte[0]));
    }
    assertTrue(weaver.problems().isEmpty());
  }
}
