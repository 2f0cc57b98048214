package io.fourtuple.agent.instrumentation;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The transformer the JVM calls for every class it loads. It costs one set lookup for any class that is
 * not a hook target, and lets the JVM start while Byte Buddy warms up on another thread: when a target
 * class loads before Byte Buddy is ready, that one class load waits for it, so no socket created during
 * startup goes unhooked.
 *
 * <p>Hazard: a wait inside class loading can deadlock if the warm-up thread ever needs something the
 * waiting thread holds (a class initialization lock, say). The warm-up touches no socket class and no
 * application class, and the wait is bounded anyway: after {@link #MAX_WAIT_MILLIS} the class loads
 * unchanged and the warm-up thread retransforms it when it is done.
 */
final class HookGate implements ClassFileTransformer {
  static final long MAX_WAIT_MILLIS = 10_000;

  private final Set<String> targets;
  private final CountDownLatch decided = new CountDownLatch(1);
  private volatile ClassFileTransformer delegate;

  /** @param targetNames binary names, {@code sun.nio.ch.NioSocketImpl} */
  HookGate(Set<String> targetNames) {
    Set<String> internal = new HashSet<String>();
    for (String name : targetNames) {
      internal.add(name.replace('.', '/'));
    }
    this.targets = Collections.unmodifiableSet(internal);
  }

  /** Lets waiting and future target loads through to {@code transformer} (null: leave them unchanged). */
  void open(ClassFileTransformer transformer) {
    delegate = transformer;
    decided.countDown();
  }

  @Override
  public byte[] transform(
      ClassLoader loader,
      String className,
      Class<?> classBeingRedefined,
      ProtectionDomain protectionDomain,
      byte[] classfileBuffer)
      throws IllegalClassFormatException {
    if (className == null || loader != null || !targets.contains(className)) {
      return null;
    }
    ClassFileTransformer current = delegate;
    if (current == null) {
      try {
        if (!decided.await(MAX_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
          return null;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      current = delegate;
      if (current == null) {
        return null;
      }
    }
    return current.transform(
        loader, className, classBeingRedefined, protectionDomain, classfileBuffer);
  }
}
