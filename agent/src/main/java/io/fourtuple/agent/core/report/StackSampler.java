package io.fourtuple.agent.core.report;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides which hook events may fill in a {@code Throwable} for their call site: at most {@code
 * perWindow} in each window of about 134 ms (2^27 ns), whatever the event rate. Filling in a stack
 * costs microseconds on the application thread and walking it more on the reporter thread; in a
 * connect storm of tens of thousands per second that is most of the agent's cost, so what is
 * sampled is attributed to call sites and everything else is still counted exactly by its caller.
 *
 * <p>Lock-free, and write-free once the window's budget is spent; a window boundary raced by two
 * threads may let a few more through. Once the budget is spent, only one event in {@link
 * #CLOCK_EVERY} (chosen by the thread's own random generator, so no shared counter) reads the clock
 * to see whether the window has ended: in a storm the clock read, tens of nanoseconds on a virtual
 * machine, was the sampler's whole cost on every socket; the next window then starts at most a few
 * events late.
 */
public final class StackSampler {
  /** While the budget is spent, one event in this many looks at the clock. */
  static final int CLOCK_EVERY = 16;

  private final int perWindow;
  private final Clock clock;
  private final AtomicLong window = new AtomicLong();
  private final AtomicInteger inWindow = new AtomicInteger();

  public StackSampler(int perWindow) {
    this(perWindow, SystemClock.INSTANCE);
  }

  StackSampler(int perWindow, Clock clock) {
    this.perWindow = perWindow;
    this.clock = clock;
  }

  /** True if this event may capture its stack. */
  public boolean take() {
    if (inWindow.get() >= perWindow
        && (ThreadLocalRandom.current().nextInt() & (CLOCK_EVERY - 1)) != 0) {
      return false; // budget spent, and this event does not look at the clock
    }
    long now = clock.nanoTime() >>> 27;
    long current = window.get();
    if (now != current && window.compareAndSet(current, now)) {
      inWindow.set(0);
    }
    // Read before writing: once a window's budget is spent, the storm's other events only read the
    // counter, so its cache line is not bounced between cores on every socket.
    return inWindow.get() < perWindow && inWindow.incrementAndGet() <= perWindow;
  }

  /** At most this many captures per window. */
  public int perWindow() {
    return perWindow;
  }

  /** The time source; a test's own in unit tests. */
  interface Clock {
    long nanoTime();
  }

  /** {@link System#nanoTime()}. An enum rather than a lambda: no {@code java.lang.invoke} here. */
  private enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }
}
