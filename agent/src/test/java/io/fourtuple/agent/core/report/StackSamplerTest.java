package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StackSamplerTest {
  static final long WINDOW = 1L << 27;

  /** A clock the test moves, counting how often the sampler looked at it. */
  static final class TestClock implements StackSampler.Clock {
    long now = 5 * WINDOW;
    int reads;

    @Override
    public long nanoTime() {
      reads++;
      return now;
    }
  }

  @Test
  void atMostTheBudgetPerWindowThenTheNextWindowSamplesAgain() {
    TestClock clock = new TestClock();
    StackSampler sampler = new StackSampler(3, clock);
    int taken = 0;
    for (int i = 0; i < 10_000; i++) {
      if (sampler.take()) {
        taken++;
      }
    }
    assertEquals(3, taken);

    clock.now += WINDOW;
    // Once the budget is spent the clock is read by one event in CLOCK_EVERY, chosen at random:
    // the new window opens within a few events (10,000 misses in a row: probability (15/16)^10000).
    int calls = 0;
    while (!sampler.take()) {
      calls++;
      assertTrue(calls < 10_000, "the next window never opened");
    }
    assertTrue(sampler.take());
    assertTrue(sampler.take());
    assertFalse(sampler.take(), "three again in the new window");
  }

  @Test
  void aSpentBudgetSkipsMostClockReads() {
    TestClock clock = new TestClock();
    StackSampler sampler = new StackSampler(1, clock);
    assertTrue(sampler.take());
    clock.reads = 0;
    int events = 160_000;
    for (int i = 0; i < events; i++) {
      assertFalse(sampler.take());
    }
    // Expected events / CLOCK_EVERY = 10,000 reads; the bound is 30 standard deviations away.
    assertTrue(
        clock.reads < events / StackSampler.CLOCK_EVERY + 3_000,
        "clock read " + clock.reads + " times for " + events + " events");
  }

  @Test
  void underTheBudgetEveryEventIsTaken() {
    TestClock clock = new TestClock();
    StackSampler sampler = new StackSampler(50, clock);
    for (int w = 0; w < 5; w++) {
      clock.now += WINDOW;
      for (int i = 0; i < 49; i++) { // a budget never spent: the clock is read every time
        assertTrue(sampler.take());
      }
    }
  }
}
