package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A part built at the first socket event runs on a thread made before, on the thread that loaded
 * the agent: started from an application thread, it still carries nothing of that thread.
 */
class PremadeThreadTest {
  private static final InheritableThreadLocal<String> APPLICATION_CONTEXT =
      new InheritableThreadLocal<>();

  @Test
  void startedFromAnApplicationThreadItInheritsNothingOfIt() throws Exception {
    ClassLoader agentLoader = Thread.currentThread().getContextClassLoader();
    PremadeThread premade = new PremadeThread("fourtuple-test");
    AtomicReference<String> seenContext = new AtomicReference<>("not run");
    AtomicReference<ClassLoader> seenLoader = new AtomicReference<>();
    AtomicReference<ThreadGroup> seenGroup = new AtomicReference<>();
    ThreadGroup applicationGroup = new ThreadGroup("application");
    ClassLoader applicationLoader = new URLClassLoader(new URL[0], null);
    Thread application =
        new Thread(
            applicationGroup,
            () -> {
              APPLICATION_CONTEXT.set("request 42");
              Thread.currentThread().setContextClassLoader(applicationLoader);
              // What handler() does at the first socket event: hand over the work, start.
              premade
                  .runs(
                      () -> {
                        seenContext.set(APPLICATION_CONTEXT.get());
                        seenLoader.set(Thread.currentThread().getContextClassLoader());
                        seenGroup.set(Thread.currentThread().getThreadGroup());
                      })
                  .start();
            },
            "application");
    application.start();
    application.join();
    premade.join();

    assertNull(seenContext.get(), "inheritable thread-local of the application thread");
    assertSame(agentLoader, seenLoader.get());
    assertTrue(seenGroup.get() != applicationGroup);
    assertTrue(premade.isDaemon());
    assertEquals("fourtuple-test", premade.getName());
  }
}
