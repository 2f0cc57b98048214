package io.fourtuple.agent.core;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.connect.ConnectFailure;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Process-wide counters the hooks update: binds by outcome, connects by result, internal errors.
 * Fixed size whatever the application does; updates are contention-free ({@link LongAdder}).
 */
public final class AgentStats {
  private static final int APIS = Api.values().length;
  private static final int OUTCOMES = BindOutcome.values().length;
  private static final int FAILURES = ConnectFailure.values().length;

  /** The summary of a JVM that saw no client socket (a constant: no counters to load). */
  public static final String NOTHING_SEEN = "no client socket activity seen";

  private final LongAdder[] binds = adders(APIS * OUTCOMES);
  private final LongAdder[] bindFailures = adders(APIS * FAILURES);
  private final LongAdder[] connected = adders(APIS);
  private final LongAdder[] connectsInProgress = adders(APIS);
  private final LongAdder[] connectFailures = adders(APIS * FAILURES);
  private final LongAdder[] localPortReads = adders(APIS);
  private final LongAdder internalErrors = new LongAdder();
  private final AtomicIntegerArray firstLocalPortRead = new AtomicIntegerArray(APIS);

  private final AtomicIntegerArray firstBind = new AtomicIntegerArray(APIS * OUTCOMES);
  private final AtomicIntegerArray firstBindFailure = new AtomicIntegerArray(APIS * FAILURES);
  private final AtomicIntegerArray firstConnectFailure = new AtomicIntegerArray(APIS * FAILURES);

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** Counts a bind; returns true the first time this API has had this outcome. */
  public boolean bind(Api api, BindOutcome outcome) {
    int i = api.ordinal() * OUTCOMES + outcome.ordinal();
    binds[i].increment();
    return firstBind.get(i) == 0 && firstBind.compareAndSet(i, 0, 1);
  }

  /** Counts a failed bind; returns true the first time for this API and cause. */
  public boolean bindFailed(Api api, ConnectFailure cause) {
    int i = api.ordinal() * FAILURES + cause.ordinal();
    bindFailures[i].increment();
    return firstBindFailure.get(i) == 0 && firstBindFailure.compareAndSet(i, 0, 1);
  }

  public void connectSucceeded(Api api) {
    connected[api.ordinal()].increment();
  }

  public void connectInProgress(Api api) {
    connectsInProgress[api.ordinal()].increment();
  }

  /** Counts a failed connect; returns true the first time for this API and cause. */
  public boolean connectFailed(Api api, ConnectFailure cause) {
    int i = api.ordinal() * FAILURES + cause.ordinal();
    connectFailures[i].increment();
    return firstConnectFailure.get(i) == 0 && firstConnectFailure.compareAndSet(i, 0, 1);
  }

  /**
   * Counts a socket whose local port the application read between bind and connect (enforce: the
   * agent gave it its port then; audit: a sampled socket enforce would have had to); returns true
   * the first time for this API.
   */
  public boolean localPortReadBeforeConnect(Api api) {
    int i = api.ordinal();
    localPortReads[i].increment();
    return firstLocalPortRead.get(i) == 0 && firstLocalPortRead.compareAndSet(i, 0, 1);
  }

  public long localPortReadsBeforeConnect(Api api) {
    return localPortReads[api.ordinal()].sum();
  }

  public void internalError() {
    internalErrors.increment();
  }

  public long binds(Api api, BindOutcome outcome) {
    return binds[api.ordinal() * OUTCOMES + outcome.ordinal()].sum();
  }

  public long connected(Api api) {
    return connected[api.ordinal()].sum();
  }

  public long connectsInProgress(Api api) {
    return connectsInProgress[api.ordinal()].sum();
  }

  public long connectFailures(Api api, ConnectFailure cause) {
    return connectFailures[api.ordinal() * FAILURES + cause.ordinal()].sum();
  }

  public long bindFailures(Api api, ConnectFailure cause) {
    return bindFailures[api.ordinal() * FAILURES + cause.ordinal()].sum();
  }

  public long internalErrors() {
    return internalErrors.sum();
  }

  /**
   * One part per API that saw any activity, e.g. {@code java.net.Socket: binds
   * [IP_BIND_ADDRESS_NO_PORT set: 100], bind failures [none], connects 100 ok, connect failures
   * [none]}. Non-blocking connects (a {@code SocketChannel} in non-blocking mode, Netty, the
   * asynchronous channel) are counted once when started ("N started non-blocking") and once more
   * when they complete as ok or failed: the first count is not a gauge of connects still in flight.
   */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Api api : Api.values()) {
      StringBuilder bindPart = new StringBuilder();
      long activity = 0;
      for (BindOutcome o : BindOutcome.values()) {
        long n = binds(api, o);
        activity += n;
        if (n > 0) {
          append(bindPart, o.description() + ": " + n);
        }
      }
      StringBuilder bindFailurePart = new StringBuilder();
      StringBuilder connectFailurePart = new StringBuilder();
      for (ConnectFailure f : ConnectFailure.values()) {
        long b = bindFailures(api, f);
        long c = connectFailures(api, f);
        activity += b + c;
        if (b > 0) {
          append(bindFailurePart, f.label() + ": " + b);
        }
        if (c > 0) {
          append(connectFailurePart, f.label() + ": " + c);
        }
      }
      long ok = connected(api);
      long pending = connectsInProgress[api.ordinal()].sum();
      long portReads = localPortReadsBeforeConnect(api);
      activity += ok + pending;
      if (activity == 0) {
        continue;
      }
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(api).append(": binds [").append(orNone(bindPart)).append(']');
      if (portReads > 0) {
        out.append(", local port read before connect ")
            .append(portReads)
            .append(" (port given at the read: JDK behaviour kept)");
      }
      out.append(", bind failures [")
          .append(orNone(bindFailurePart))
          .append("], connects ")
          .append(ok)
          .append(" ok");
      if (pending > 0) {
        out.append(", ").append(pending).append(" started non-blocking");
      }
      out.append(", connect failures [").append(orNone(connectFailurePart)).append(']');
    }
    if (out.length() == 0) {
      out.append(NOTHING_SEEN);
    }
    if (internalErrors() > 0) {
      out.append("; internal errors: ").append(internalErrors());
    }
    return out.toString();
  }

  private static void append(StringBuilder to, String item) {
    if (to.length() > 0) {
      to.append(", ");
    }
    to.append(item);
  }

  private static String orNone(StringBuilder part) {
    return part.length() == 0 ? "none" : part.toString();
  }
}
