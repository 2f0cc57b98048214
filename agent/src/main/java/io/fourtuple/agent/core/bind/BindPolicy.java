package io.fourtuple.agent.core.bind;

import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.platform.SocketOptions;
import java.io.FileDescriptor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides, for each bind the hooks see, whether to set {@code IP_BIND_ADDRESS_NO_PORT}, and sets
 * it.
 *
 * <p>Kernel fact relied on: {@code bind(ip, 0)} before {@code connect()} makes the kernel choose
 * the port at bind time without knowing the destination, so it reserves the port exclusively and
 * all destinations share one pool; the option defers the choice to {@code connect()}. It only
 * matters when the bind port is 0, and it must never reach a listening socket.
 *
 * <p>When the kernel refuses the option (ENOPROTOOPT, EOPNOTSUPP) the rewrite turns itself off for
 * the whole process, once, the way nginx does, instead of failing on every bind.
 */
public final class BindPolicy {

  /**
   * Told about failures to set the option; called on the application thread, so it must not block.
   */
  public interface FailureListener {
    void onFailure(BindOutcome outcome, Throwable error);
  }

  private final boolean audit;
  private final boolean switchedOff;
  private final SocketOptions options;
  private final FailureListener failures;
  private final AtomicReference<String> refusedBecause = new AtomicReference<String>();

  /** Set at the first socket the option was set on: until then no socket can be deferred. */
  private volatile boolean applied;

  public BindPolicy(AgentConfig config, SocketOptions options, FailureListener failures) {
    this.audit = config.mode() == AgentConfig.Mode.AUDIT;
    this.switchedOff = !config.noPortEnabled();
    this.options = options;
    this.failures = failures;
  }

  /**
   * Handles a bind that is about to happen.
   *
   * @param fd the socket's descriptor, already created
   * @param port the requested local port
   * @param server whether the socket is a listener
   */
  public BindOutcome beforeBind(FileDescriptor fd, int port, boolean server) {
    BindOutcome decided = decide(port, server);
    if (decided != BindOutcome.APPLIED) {
      return decided;
    }
    try {
      options.setBindAddressNoPort(fd);
      if (!applied) {
        applied = true;
      }
      return BindOutcome.APPLIED;
    } catch (SocketOptions.NotOpenException notOpen) {
      return BindOutcome.NOT_OPEN; // the JDK's own bind throws; nothing reached native code
    } catch (Throwable t) {
      switch (SocketOptions.Failure.classify(t)) {
        case UNSUPPORTED:
          if (refusedBecause.compareAndSet(null, String.valueOf(t.getMessage()))) {
            failures.onFailure(BindOutcome.REFUSED_BY_KERNEL, t);
            return BindOutcome.REFUSED_BY_KERNEL;
          }
          return BindOutcome.UNAVAILABLE;
        case CLOSED:
          return BindOutcome.FAILED;
        default:
          failures.onFailure(BindOutcome.FAILED, t);
          return BindOutcome.FAILED;
      }
    }
  }

  /**
   * What {@link #beforeBind} would do, without touching any descriptor: {@link BindOutcome#APPLIED}
   * means it would set the option (for callers that must do work to get the descriptor first).
   */
  public BindOutcome decide(int port, boolean server) {
    if (server) {
      return BindOutcome.SERVER_SOCKET;
    }
    if (port != 0) {
      return BindOutcome.EXPLICIT_PORT;
    }
    if (audit) {
      return BindOutcome.WOULD_APPLY;
    }
    if (switchedOff) {
      return BindOutcome.SWITCHED_OFF;
    }
    if (!options.isAvailable() || refusedBecause.get() != null) {
      return BindOutcome.UNAVAILABLE;
    }
    return BindOutcome.APPLIED;
  }

  /** Whether the option has been set on any socket yet. */
  public boolean hasApplied() {
    return applied;
  }

  /** Why the kernel refused the option, once it has; null while the rewrite is live. */
  public String refusedBecause() {
    return refusedBecause.get();
  }
}
