package io.fourtuple.agent.core.linger;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.report.Finding;
import org.slf4j.Logger;

/**
 * The detail of a linger {@link Finding}: an SO_LINGER set worth reporting, or a close that
 * blocked. Made on the application thread with plain fields; turned into a log line on the reporter
 * thread, where the call site is resolved and counted, so each site is logged once (the full stack
 * at debug).
 */
public final class LingerFinding {
  final Finding.Kind kind;
  final LingerClass type;
  final int requested;
  final int applied;

  /** What the configured policy would apply in enforce mode; equals {@link #applied} there. */
  final int policyWould;

  final LingerPolicy policy;
  final boolean audit;
  final boolean nonBlocking;

  /**
   * A Netty socket: no JDK clamps the value on the way to the kernel. Epoll moves a close with
   * SO_LINGER above 0 off the event loop to its GlobalEventExecutor; io_uring does not ({@link
   * #ioUring}).
   */
  final boolean netty;

  /**
   * A Netty io_uring socket: its close is an IORING_OP_CLOSE that the kernel runs inline in the
   * event loop's {@code io_uring_enter}, so the event loop itself waits out the linger (measured:
   * SO_LINGER=3 with 8 MB unsent held the loop 3,091 ms; off: 19 ms).
   */
  final boolean ioUring;

  final String local;
  final String remote;
  final long closeMillis;
  private final LingerSites sites;

  LingerFinding(
      Finding.Kind kind,
      LingerClass type,
      int requested,
      int applied,
      int policyWould,
      LingerPolicy policy,
      boolean audit,
      boolean nonBlocking,
      Api api,
      String local,
      String remote,
      long closeMillis,
      LingerSites sites) {
    this.kind = kind;
    this.type = type;
    this.requested = requested;
    this.applied = applied;
    this.policyWould = policyWould;
    this.policy = policy;
    this.audit = audit;
    this.nonBlocking = nonBlocking;
    this.netty = api.isNetty();
    this.ioUring = api == Api.NETTY_IO_URING;
    this.local = local;
    this.remote = remote;
    this.closeMillis = closeMillis;
    this.sites = sites;
  }

  /** Logs {@code f} if its call site is new, else counts it. Reporter thread only. */
  public void write(Logger log, Finding f) {
    String site = f.callSite();
    if (kind == Finding.Kind.LINGER_CLOSE) {
      if (sites.record("close()", site)) {
        log.warn(
            "close() of a {} with SO_LINGER {} s blocked {} ms on thread {} at {}: until the peer"
                + " read the data or the linger time ran out, that thread (and for a channel, any"
                + " thread needing its lock) was stuck; further blocked closes here are counted in"
                + " the summary",
            f.api,
            requested,
            closeMillis,
            f.thread,
            site);
        log.debug("stack of the blocked close", f.stack);
      }
      return;
    }
    if (!sites.record(type.name() + " " + requested + " s", site)) {
      return;
    }
    String line =
        "SO_LINGER {} s set on {} at {} [thread {}, local {}, remote {}]: {}; {}; further sets here"
            + " are counted in the summary";
    Object[] args = {requested, f.api, site, f.thread, local, remote, explanation(), outcome()};
    if (type.warned()) {
      log.warn(line, args);
    } else {
      log.info(line, args);
    }
    log.debug("stack of the SO_LINGER set", f.stack);
  }

  String explanation() {
    String upTo = LingerClassifier.duration(Math.min(requested, LingerClassifier.JDK_MAX));
    String where =
        ioUring
            ? ", on the io_uring event loop itself (Netty's io_uring close runs inside the loop's"
                + " io_uring_enter), so every channel of that loop waits too,"
            : netty
                ? ", on Netty's one GlobalEventExecutor thread (Netty moves a close with SO_LINGER"
                    + " above 0 there, off the event loop), so every close and task queued behind it"
                    + " waits too,"
                : nonBlocking
                    ? ", on the I/O thread that closes this non-blocking channel, holding the channel's"
                        + " lock,"
                    : "";
    switch (type) {
      case ZERO:
        return "0 means close() sends RST instead of FIN: no TIME_WAIT is left, and any data"
            + " still unsent or unacknowledged at that close is discarded (the peer sees"
            + " 'Connection reset'). Harmless when nothing is left to send at close, as when it is"
            + " set to skip TIME_WAIT; fourtuple cannot see a socket's send queue at close"
            + " without native code of its own, so this is reported once per call site, not"
            + " warned";
      case NON_BLOCKING:
        return "on a non-blocking channel, close() can block up to "
            + upTo
            + where
            + " while the peer does not read";
      case LONG:
        return "long: close() can block up to " + upTo + where + " while the peer does not read";
      case MILLIS_LIKE:
        return "looks like milliseconds: "
            + requested
            + " s = "
            + upTo
            + ", did you mean "
            + LingerClassifier.asMillis(requested)
            + "? close() can block up to "
            + upTo
            + where
            + " while the peer does not read";
      case CLAMPED_BY_JDK:
        if (netty) {
          return "above 65535: Netty passes it to the kernel unclamped; read as milliseconds it"
              + " would be "
              + LingerClassifier.asMillis(requested)
              + ". close() can block for hours"
              + where
              + " while the peer does not read";
        }
        return "above 65535: the JDK silently uses 65535 s = "
            + upTo
            + " instead; read as"
            + " milliseconds it would be "
            + LingerClassifier.asMillis(requested)
            + ". close() can block"
            + " up to "
            + upTo
            + where
            + " while the peer does not read";
      default:
        return type.label();
    }
  }

  String outcome() {
    if (audit) {
      return "audit: left as is; policy " + policy + " would " + describe(policyWould);
    }
    if (applied == requested) {
      if (policy.kind() == LingerPolicy.Kind.WARN && type.misuse()) {
        return "policy warn: left as is (fourtuple.linger.policy=fix would leave linger off)";
      }
      return "policy " + policy + ": left as is";
    }
    return "policy " + policy + ": " + describeApplied(applied);
  }

  private String describe(int value) {
    return value == requested ? "change nothing" : describeApplied(value).replace("left", "leave");
  }

  private static String describeApplied(int value) {
    if (value == LingerPolicy.OFF) {
      return "left linger off, so close() returns at once and the kernel still delivers the data";
    }
    return "set "
        + value
        + " s instead, so close() blocks at most "
        + LingerClassifier.duration(value);
  }
}
