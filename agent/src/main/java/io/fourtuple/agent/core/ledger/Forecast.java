package io.fourtuple.agent.core.ledger;

/**
 * When one destination runs out of source ports, from its recent ticks: pure arithmetic with no
 * clock inside (the tick's {@code nowNanos} comes in), no allocation after the ring, which is made
 * once when the destination first uses a twentieth of its capacity.
 *
 * <p>The model, per tick:
 *
 * <ul>
 *   <li>capacity {@code C} = the pool minus ports held for every destination (so bind-0 sockets
 *       without NO_PORT, and their TIME_WAIT, count as held for all);
 *   <li>port-seconds per connect by Little's law, with no per-socket time: {@code c = U / r̄}, the
 *       ports used now over the mean connect rate of the last 60 s (short connections that close
 *       first give {@code c ≈ 60}, TCP_TIMEWAIT_LEN; a window younger than that, with every port it
 *       took still held, assumes 60); the sustainable rate is {@code C / c};
 *   <li>the rate now: over the last 10 s (at least a tick); its trend: the least-squares slope of
 *       the per-tick rates over the window (60 s, at least 8 ticks), used only when it is positive
 *       and above four standard errors (Poisson noise of a steady load does not pass), and
 *       extrapolated no further than twice the window it was measured over;
 *   <li>a fluid simulation in 1-s steps to the horizon: ports in use gain the forecast rate and
 *       lose the ports taken {@code c} seconds earlier (from the ring's history while that is in
 *       the past). The first step at which they reach {@code C} is the ETA; in use ≥ {@code C} now
 *       is "out now" (0).
 * </ul>
 */
final class Forecast {
  static final int TICKS = 32;
  private static final long WINDOW_NANOS = 60_000_000_000L;
  private static final long RECENT_NANOS = 10_000_000_000L;
  private static final long MIN_TICK_NANOS = 500_000_000L;
  private static final double MIN_SPAN_SECONDS = 10;

  private final long[] nanos = new long[TICKS];
  private final long[] connects = new long[TICKS];
  private final int[] usedAt = new int[TICKS];
  private int count;
  private int head; // the newest entry

  /** Seconds until the destination runs out, 0 if out now, -1 if not within the horizon. */
  int etaSeconds = -1;

  /** Connects per second now (the trend's value now when it counts, else the last 10 s). */
  double rate;

  /** Connects per second it can take for ever, -1 when unknown (no connects in the window). */
  double sustainable = -1;

  /** Port-seconds one connect costs, -1 when unknown. */
  double portSeconds = -1;

  /** Consecutive ticks without an ETA (for the warning's hysteresis). */
  int quietTicks;

  /**
   * Records this tick and forecasts.
   *
   * @param totalConnects connects to the destination since start
   * @param used ports in use toward it now
   * @param capacity ports it may use at all
   * @param horizonSeconds how far to look
   */
  void tick(long nowNanos, long totalConnects, int used, int capacity, int horizonSeconds) {
    if (count == 0 || nowNanos - nanos[head] >= MIN_TICK_NANOS) {
      head = (head + 1) % TICKS;
      count = Math.min(TICKS, count + 1);
    } // else a tick right after the last (the exit tick) replaces it: rates need time between
    nanos[head] = nowNanos;
    connects[head] = totalConnects;
    usedAt[head] = used;
    etaSeconds = forecast(nowNanos, used, capacity, horizonSeconds);
    quietTicks = etaSeconds >= 0 ? 0 : quietTicks + 1;
  }

  /** Connects per second between the tick {@code i + 1} back and the one {@code i} back. */
  private double rateOf(int i) {
    return (connects[at(i)] - connects[at(i + 1)]) / ((nanos[at(i)] - nanos[at(i + 1)]) / 1e9);
  }

  private int at(int back) {
    return (head - back + TICKS) % TICKS;
  }

  private int forecast(long now, int used, int capacity, int horizon) {
    sustainable = -1;
    portSeconds = -1;
    rate = 0;
    if (used >= capacity) {
      return 0;
    }
    // The window: the oldest tick at most 60 s back (at least 8 ticks back when ticks are slow).
    int oldest = 0;
    while (oldest + 1 < count && (now - nanos[at(oldest + 1)] <= WINDOW_NANOS || oldest < 8)) {
      oldest++;
    }
    double span = (now - nanos[at(oldest)]) / 1e9;
    if (span < MIN_SPAN_SECONDS) {
      return -1;
    }
    double mean = (connects[head] - connects[at(oldest)]) / span;
    int recent = 1;
    while (recent < oldest && now - nanos[at(recent + 1)] <= RECENT_NANOS) {
      recent++;
    }
    rate = (connects[head] - connects[at(recent)]) / ((now - nanos[at(recent)]) / 1e9);
    if (mean <= 0 || used == 0) {
      return -1; // nothing taken lately, or every port freed at once (the server closes first)
    }
    double c = used / mean;
    if (c >= 0.9 * span && span < Headroom.TIME_WAIT_SECONDS) {
      // Every port taken in the window is still held: the window is too young to see how long one
      // is kept, at least until TIME_WAIT ends.
      c = Headroom.TIME_WAIT_SECONDS;
    }
    portSeconds = c;
    sustainable = c > 0 ? capacity / c : -1;
    // Least-squares slope of the per-tick rates against their midpoints (seconds before now).
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    int n = oldest;
    for (int i = 0; i < n; i++) {
      double x = -((now - nanos[at(i)]) + (nanos[at(i)] - nanos[at(i + 1)]) / 2) / 1e9;
      double y = rateOf(i);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      syy += y * y;
    }
    double slope = 0;
    double reach = 0;
    if (n >= 8) {
      double vx = sxx - sx * sx / n;
      double a = (sxy - sx * sy / n) / vx;
      double residual = Math.max(0, (syy - sy * sy / n) - a * (sxy - sx * sy / n)) / (n - 2);
      if (a > 0 && a * a * vx > 16 * residual) {
        slope = a;
        reach = 2 * span;
        rate = sy / n - a * sx / n; // the fitted rate now
      }
    }
    // Cheap bound first: if even with every connect kept the pool holds, no ETA.
    double peak = rate + slope * Math.min(horizon, reach);
    if (used + peak * horizon < capacity) {
      return -1;
    }
    double inUse = used;
    int interval = oldest - 1; // the ring's interval the departing ports were taken in
    for (int step = 1; step <= horizon; step++) {
      inUse += rate + slope * Math.min(step, reach);
      double entered = step - c; // seconds from now at which the departing ports were taken
      double gone;
      if (entered >= 0) {
        gone = rate + slope * Math.min(entered, reach);
      } else {
        long when = now + (long) (entered * 1e9);
        while (interval > 0 && nanos[at(interval)] < when) {
          interval--;
        }
        // Before the window: the ports held at its start, taken over the c seconds before it.
        gone = when <= nanos[at(oldest)] ? usedAt[at(oldest)] / c : rateOf(interval);
      }
      inUse = Math.max(0, inUse - gone);
      if (inUse >= capacity) {
        return step;
      }
    }
    return -1;
  }
}
