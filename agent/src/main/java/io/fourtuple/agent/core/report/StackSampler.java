package io.fourtuple.agent.core.report;

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
 * threads may let a few more through, never fewer.
 */
public final class StackSampler {
  private final int perWindow;
  private final AtomicLong window = new AtomicLong();
  private final AtomicInteger inWindow = new AtomicInteger();

  public StackSampler(int perWindow) {
    this.perWindow = perWindow;
  }

  /** True if this event may capture its stack. */
  public boolean take() {
    long now = System.nanoTime() >>> 27;
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
}
