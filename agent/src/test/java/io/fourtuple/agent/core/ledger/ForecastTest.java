package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The forecast over synthetic tick histories with a fake clock: a destination whose connects each
 * keep their port for 60 s (TIME_WAIT on the client side), so the ports in use at {@code t} are the
 * connects of the last 60 s, as the kernel would show them. No threads, no sleeps.
 */
class ForecastTest {
  static final long SECOND = 1_000_000_000L;
  static final int CAPACITY = 600;

  /** Connects per second, second by second, and the forecast fed every {@code tick} seconds. */
  static final class Workload {
    final long[] perSecond;
    final Forecast forecast = new Forecast();

    Workload(long[] perSecond) {
      this.perSecond = perSecond;
    }

    int usedAt(int t) {
      long used = 0;
      for (int s = Math.max(0, t - 59); s <= t; s++) {
        used += perSecond[s];
      }
      return (int) used;
    }

    long totalAt(int t) {
      long total = 0;
      for (int s = 0; s <= t; s++) {
        total += perSecond[s];
      }
      return total;
    }

    /** The first second at which the ports in use reach the capacity, or -1. */
    int exhaustion() {
      for (int t = 0; t < perSecond.length; t++) {
        if (usedAt(t) >= CAPACITY) {
          return t;
        }
      }
      return -1;
    }

    void tick(int t, int capacity) {
      forecast.tick(t * SECOND, totalAt(t), usedAt(t), capacity, 300);
    }
  }

  static long[] ramp(double r0, double slope, int seconds) {
    long[] out = new long[seconds];
    double carry = 0;
    for (int t = 0; t < seconds; t++) {
      carry += r0 + slope * t;
      out[t] = (long) carry;
      carry -= out[t];
    }
    return out;
  }

  @Test
  void aConstantRateAboveTheSustainableOneRunsOutWhenTheFreePortsAreGone() {
    // 8/s for two minutes (480 ports in TIME_WAIT, steady), then 15/s: 120 free, gaining 7 a second
    // while the 8/s of a minute ago expire, so out in 120 / (15 - 8) ≈ 17 s after the step.
    long[] load = new long[400];
    for (int t = 0; t < load.length; t++) {
      load[t] = t < 120 ? 8 : 15;
    }
    Workload w = new Workload(load);
    for (int t = 0; t <= 120; t += 2) {
      w.tick(t, CAPACITY);
      assertEquals(-1, w.forecast.etaSeconds, "steady at 8/s, t=" + t);
    }
    assertEquals(60, w.forecast.portSeconds, 1);
    assertEquals(10, w.forecast.sustainable, 0.2);
    // Ten seconds into the step the recent rate is the step's: 550 used, 8/s expiring.
    int exhaustion = w.exhaustion();
    for (int t = 122; t <= 130; t += 2) {
      w.tick(t, CAPACITY);
    }
    int actual = exhaustion - 130;
    assertTrue(
        Math.abs(w.forecast.etaSeconds - actual) <= 2,
        "ETA " + w.forecast.etaSeconds + " s, actual " + actual + " s");
  }

  @Test
  void aLinearRampIsForecastWithinTenPercentOfItsExhaustion() {
    // r(t) = 1 + 0.05 t: the last 60 s hold 600 ports at 3t - 30 = 600, t = 210.
    Workload w = new Workload(ramp(1, 0.05, 400));
    int exhaustion = w.exhaustion();
    assertEquals(210, exhaustion, 1);
    int firstEta = -1;
    for (int t = 0; t < exhaustion; t += 2) {
      w.tick(t, CAPACITY);
      if (firstEta < 0 && w.forecast.etaSeconds >= 0) {
        firstEta = t;
      }
      if (t >= 120 && t <= 180) {
        int actual = exhaustion - t;
        assertTrue(
            Math.abs(w.forecast.etaSeconds - actual) <= actual / 10 + 1,
            "t=" + t + ": ETA " + w.forecast.etaSeconds + " s, actual " + actual + " s");
      }
    }
    assertTrue(firstEta >= 0 && exhaustion - firstEta >= 60, "first ETA at t=" + firstEta);
  }

  @Test
  void halfTheSustainableRateWithPoissonNoiseNeverWarns() {
    Random random = new Random(42);
    long[] load = new long[700];
    for (int t = 0; t < load.length; t++) {
      load[t] = poisson(random, 5);
    }
    for (int tick : new int[] {2, 10}) {
      Workload w = new Workload(load);
      for (int n = 0; n < 60; n++) {
        int t = 60 + n * tick;
        w.tick(t, CAPACITY);
        assertEquals(-1, w.forecast.etaSeconds, "tick " + tick + " s, t=" + t);
      }
      assertEquals(10, w.forecast.sustainable, 2);
    }
  }

  @Test
  void aBurstRunsOutNowAndSilenceClearsTheForecast() {
    long[] load = new long[300];
    for (int t = 20; t < 30; t++) {
      load[t] = 60;
    }
    Workload w = new Workload(load);
    for (int t = 0; t <= 28; t += 2) {
      w.tick(t, CAPACITY);
    }
    assertTrue(w.forecast.etaSeconds >= 0 && w.forecast.etaSeconds <= 3, "at 60/s, 60 free");
    w.tick(30, CAPACITY);
    assertEquals(0, w.forecast.etaSeconds, "600 of 600: out now");
    for (int t = 32; t < 150; t += 2) {
      w.tick(t, CAPACITY);
      if (t >= 90) {
        assertEquals(-1, w.forecast.etaSeconds, "silence, the burst's TIME_WAIT gone, t=" + t);
      }
    }
  }

  @Test
  void portsHeldForAllShrinkTheCapacity() {
    // bind-0 sockets without NO_PORT, and their TIME_WAIT, hold their ports for every destination:
    // at a steady 5/s (300 in use) with 250 of the range held so, 50 are free and the 5/s of new
    // connects outrun nothing (steady), but a step to 6/s runs out within the minute.
    long[] load = new long[400];
    for (int t = 0; t < load.length; t++) {
      load[t] = t < 120 ? 5 : 6;
    }
    Workload w = new Workload(load);
    for (int t = 0; t <= 118; t += 2) {
      w.tick(t, CAPACITY - 250);
      assertEquals(-1, w.forecast.etaSeconds, "t=" + t);
    }
    assertEquals(350.0 / 60, w.forecast.sustainable, 0.2);
    for (int t = 120; t <= 150; t += 2) {
      w.tick(t, CAPACITY - 250);
    }
    assertTrue(
        w.forecast.etaSeconds > 0 && w.forecast.etaSeconds <= 60, "" + w.forecast.etaSeconds);
  }

  @Test
  void quietTicksCountUpWithoutAnEta() {
    long[] load = new long[200];
    for (int t = 0; t < 40; t++) {
      load[t] = 15;
    }
    Workload w = new Workload(load);
    for (int t = 0; t <= 36; t += 2) {
      w.tick(t, CAPACITY);
    }
    assertTrue(w.forecast.etaSeconds >= 0);
    assertEquals(0, w.forecast.quietTicks);
    w.tick(100, CAPACITY);
    w.tick(102, CAPACITY);
    assertEquals(-1, w.forecast.etaSeconds);
    assertEquals(2, w.forecast.quietTicks);
  }

  @Test
  void aTickAllocatesNothing() {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        threads instanceof com.sun.management.ThreadMXBean,
        "needs HotSpot's per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    // The ramp near its end: every tick runs the simulation to its ETA.
    Workload w = new Workload(ramp(1, 0.05, 400));
    long[] total = new long[400];
    int[] used = new int[400];
    for (int t = 0; t < 400; t++) {
      total[t] = w.totalAt(t);
      used[t] = w.usedAt(t);
    }
    Forecast f = new Forecast();
    for (int t = 0; t < 200; t += 2) {
      f.tick(t * SECOND, total[t], used[t], 5000, 300); // warm-up; no ETA: 300 steps a tick
    }
    long thread = Thread.currentThread().getId();
    long before = counter.getThreadAllocatedBytes(thread);
    for (int t = 200; t < 400; t += 2) {
      f.tick(t * SECOND, total[t], used[t], 5000, 300);
    }
    long after = counter.getThreadAllocatedBytes(thread);
    assertEquals(-1, f.etaSeconds);
    assertEquals(0, after - before, "bytes allocated by 100 ticks");
  }

  static long poisson(Random random, double mean) {
    double limit = Math.exp(-mean);
    double p = random.nextDouble();
    long k = 0;
    while (p > limit) {
      p *= random.nextDouble();
      k++;
    }
    return k;
  }
}
