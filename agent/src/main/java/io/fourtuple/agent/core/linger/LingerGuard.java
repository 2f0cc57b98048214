package io.fourtuple.agent.core.linger;

import io.fourtuple.agent.core.Api;
import io.fourtuple.agent.core.SocketRecords;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.core.status.FactsSection;
import io.fourtuple.agent.core.status.StatusSection;
import io.fourtuple.agent.platform.SocketOptions;
import java.net.Socket;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The SO_LINGER guard: classifies every set, applies the policy, and times the close of sockets
 * left with linger on. Runs on application threads inside JDK socket methods (see {@code
 * SocketHooks}).
 *
 * <p>Costs and hazards:
 *
 * <ul>
 *   <li>A set the guard reports (any class but off and short-on-blocking) fills in one {@code
 *       Throwable} for its stack, a few microseconds; the stack is walked, and the site looked up,
 *       on the reporter thread. Within the agent's one sampling budget ({@link CallSites}) they do
 *       so (measured: a connect loop setting SO_LINGER 0 on each socket ran at 0.65 of its speed
 *       without the agent when every set captured its stack). SO_LINGER is set once per connection
 *       at most, never per read or write. When the reporter's queue is full the set is still
 *       classified, applied and counted, only not attributed to a site.
 *   <li>The addresses in a finding come from the socket's public getters, which take the socket's
 *       state lock briefly; the hooks run before the JDK takes it, so there is no lock-order
 *       problem.
 *   <li>Sockets left with linger on are marked in their record of the agent's one per-socket table
 *       ({@link SocketRecords}, bounded by {@code ledger.max.sockets}; beyond that their closes are
 *       not timed and the summary says how many). Until the first such socket, a close costs one
 *       volatile read; after it, a lookup in one stripe of the table. A {@code java.net.Socket} is
 *       looked up by its implementation, read from the socket's field.
 *   <li>The non-blocking test reads {@code SelectableChannel.isBlocking()}, which takes the
 *       channel's registration lock on JDK 8 (the application thread holds no channel lock at this
 *       point).
 * </ul>
 */
public final class LingerGuard {
  private final LingerClassifier classifier;
  private final LingerPolicy policy;
  private final boolean audit;
  private final long blockedNanos;
  private final Reporter reporter;
  private final SocketOptions sockets;

  /**
   * The agent's call sites: reported sets capture their stack within its one budget (a client that
   * sets SO_LINGER 0 on every connection in a connect storm would otherwise pay for a stack per
   * connection); every set is still classified, applied and counted, only site attribution is
   * sampled.
   */
  private final CallSites callSites;

  private final LingerSites sites;
  private final LongAdder notSampled = new LongAdder();

  private final SocketRecords records;

  private final LongAdder[] byClass = adders(LingerClass.values().length);
  private final LongAdder leftOff = new LongAdder();
  private final LongAdder clamped = new LongAdder();
  private final LongAdder wouldChange = new LongAdder();
  private final LongAdder untracked = new LongAdder();
  private final LongAdder closesTimed = new LongAdder();
  private final LongAdder closesBlocked = new LongAdder();
  private final LongAdder closeNanos = new LongAdder();
  private final AtomicLong longestCloseNanos = new AtomicLong();

  /** With tables of its own, sized as the agent's. */
  public LingerGuard(AgentConfig config, Reporter reporter, SocketOptions sockets) {
    this(config, reporter, sockets, config.ledger().newRecords(), config.newCallSites());
  }

  /**
   * Keeping linger state in {@code records}, the agent's one per-socket table, and findings per
   * site in {@code callSites}, its one call-site table.
   */
  public LingerGuard(
      AgentConfig config,
      Reporter reporter,
      SocketOptions sockets,
      SocketRecords records,
      CallSites callSites) {
    this.classifier = new LingerClassifier(config.lingerLongSeconds());
    this.policy = config.lingerPolicy();
    this.audit = config.mode() == AgentConfig.Mode.AUDIT;
    this.blockedNanos = config.lingerBlockedMillis() * 1_000_000L;
    this.reporter = reporter;
    this.sockets = sockets;
    this.records = records;
    this.callSites = callSites;
    this.sites = new LingerSites(callSites);
  }

  /**
   * An SO_LINGER set is about to happen; returns the seconds to apply or {@link LingerPolicy#OFF}.
   *
   * @param socket a {@code Socket} or a {@code SocketChannel}
   */
  public int beforeSetLinger(Api api, Object socket, boolean on, int seconds) {
    // Netty's native sockets are always non-blocking.
    boolean nonBlocking = on && seconds > 0 && (api.isNetty() || isNonBlocking(socket));
    LingerClass type = classifier.classify(on, seconds, nonBlocking);
    byClass[type.ordinal()].increment();
    int wanted = policy.apply(type, seconds);
    int applied = audit ? seconds : wanted;
    if (wanted != seconds) {
      if (audit) {
        wouldChange.increment();
      } else if (wanted == LingerPolicy.OFF) {
        leftOff.increment();
      } else {
        clamped.increment();
      }
    }
    if (on && applied > 0) {
      if (!records.lingering(
          key(socket), api.ordinal(), Math.min(applied, LingerClassifier.JDK_MAX))) {
        untracked.increment();
      }
    } else if (records.anyLingering()) {
      records.lingerOff(key(socket));
    }
    if (type.reported() && !callSites.take()) {
      notSampled.increment();
    } else if (type.reported()) {
      reporter.submit(
          new Finding(
              Finding.Kind.LINGER_SET,
              api,
              new LingerFinding(
                  Finding.Kind.LINGER_SET,
                  type,
                  seconds,
                  applied,
                  wanted,
                  policy,
                  audit,
                  nonBlocking,
                  api,
                  localAddress(socket),
                  remoteAddress(socket),
                  0,
                  sites),
              null,
              records.site(key(socket))));
    }
    return applied;
  }

  /** A close begins: timed if the socket was left with linger on. */
  public void beforeClose(Object socket) {
    if (!records.anyLingering()) {
      return;
    }
    SocketRecords.Details t = records.lingering(key(socket));
    if (t != null) {
      t.closeStarts(System.nanoTime());
    }
  }

  /** A close returned (or threw): its time, if timed; the socket's linger state is dropped. */
  public void afterClose(Object socket) {
    if (!records.anyLingering()) {
      return;
    }
    SocketRecords.Details t = records.closed(key(socket));
    if (t == null || t.closeStart() == 0) {
      return;
    }
    Api api = Api.values()[t.api()];
    int seconds = t.seconds();
    long elapsed = System.nanoTime() - t.closeStart();
    closesTimed.increment();
    closeNanos.add(elapsed);
    long longest;
    while (elapsed > (longest = longestCloseNanos.get())
        && !longestCloseNanos.compareAndSet(longest, elapsed)) {
      // retry: another close raced us
    }
    if (elapsed >= blockedNanos) {
      closesBlocked.increment();
      reporter.submit(
          new Finding(
              Finding.Kind.LINGER_CLOSE,
              api,
              new LingerFinding(
                  Finding.Kind.LINGER_CLOSE,
                  LingerClass.OFF,
                  seconds,
                  seconds,
                  seconds,
                  policy,
                  audit,
                  false,
                  api,
                  null,
                  null,
                  elapsed / 1_000_000L,
                  sites),
              null,
              t.site()));
    }
  }

  /**
   * The key of the socket's record: a {@code java.net.Socket} by its implementation, which its
   * other hooks see; a channel or a Netty {@code LinuxSocket} by itself.
   */
  private Object key(Object socket) {
    if (socket instanceof Socket) {
      Object impl = sockets.socketImpl((Socket) socket);
      return impl != null ? impl : socket;
    }
    return socket;
  }

  private static boolean isNonBlocking(Object socket) {
    return socket instanceof SelectableChannel && !((SelectableChannel) socket).isBlocking();
  }

  private String localAddress(Object socket) {
    try {
      if (socket instanceof Socket) {
        return String.valueOf(((Socket) socket).getLocalSocketAddress());
      }
      if (socket instanceof NetworkChannel) {
        return String.valueOf(((NetworkChannel) socket).getLocalAddress());
      }
      Object netty = sockets.nettyLocalAddress(socket);
      if (netty != null) {
        return String.valueOf(netty);
      }
    } catch (Exception e) {
      return "unknown (" + e.getClass().getSimpleName() + ")";
    }
    return "unknown";
  }

  private String remoteAddress(Object socket) {
    try {
      if (socket instanceof Socket) {
        return String.valueOf(((Socket) socket).getRemoteSocketAddress());
      }
      if (socket instanceof SocketChannel) {
        return String.valueOf(((SocketChannel) socket).getRemoteAddress());
      }
      Object netty = sockets.nettyRemoteAddress(socket, false);
      if (netty != null) {
        return String.valueOf(netty);
      }
    } catch (Exception e) {
      return "unknown (" + e.getClass().getSimpleName() + ")";
    }
    return "unknown";
  }

  public long sets(LingerClass type) {
    return byClass[type.ordinal()].sum();
  }

  public long closesBlocked() {
    return closesBlocked.sum();
  }

  /** Time all timed closes (of sockets with linger on) spent in {@code close()}. */
  public long closeNanos() {
    return closeNanos.sum();
  }

  /** One line for the exit summary; null when no SO_LINGER set was seen. */
  public String describe() {
    StringBuilder classes = new StringBuilder();
    long total = 0;
    for (LingerClass type : LingerClass.values()) {
      long n = sets(type);
      total += n;
      if (n > 0) {
        classes
            .append(classes.length() > 0 ? ", " : "")
            .append(type.label())
            .append(": ")
            .append(n);
      }
    }
    if (total == 0) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    out.append(total).append(" sets [").append(classes).append("], policy ").append(policy);
    if (audit) {
      out.append(" (audit: ").append(wouldChange.sum()).append(" would have been changed)");
    } else {
      out.append(": left off ").append(leftOff.sum()).append(", clamped ").append(clamped.sum());
    }
    out.append("; closes with linger on timed: ")
        .append(closesTimed.sum())
        .append(", blocked >= ")
        .append(blockedNanos / 1_000_000L)
        .append(" ms: ")
        .append(closesBlocked.sum())
        .append(", longest ")
        .append(longestCloseNanos.get() / 1_000_000L)
        .append(" ms");
    if (untracked.sum() > 0) {
      out.append(" (").append(untracked.sum()).append(" sockets beyond the cap not timed)");
    }
    out.append("; reported sites: ").append(sites.describe(10));
    if (notSampled.sum() > 0) {
      out.append(" (site counts cover the sets sampled for their stack, at most ")
          .append(callSites.samplesPerWindow())
          .append(" per 134 ms; ")
          .append(notSampled.sum())
          .append(" more are counted by class only)");
    }
    return out.toString();
  }

  /** The {@code linger} section of {@code status}: the summary, or {@code none} before any set. */
  public StatusSection statusSection() {
    String summary = describe();
    return new FactsSection("linger").put("findings", summary == null ? "none" : summary);
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }
}
