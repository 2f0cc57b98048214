package io.fourtuple.agent.core.report;

/**
 * Something a hook saw that is worth a log line, captured on the application thread with as little
 * work as possible (no formatting, no stack walk: the {@link Throwable} is only filled in) and
 * turned into text on the reporter thread. A plain class rather than a lambda: a hook must not
 * bootstrap {@code java.lang.invoke} machinery on an application thread.
 */
public final class Finding {
  /** What kind of line to write. */
  public enum Kind {
    FIRST_BIND,
    /**
     * The first time an API's application code read the local port of a deferred socket before
     * connect: the agent gave the socket its port then.
     */
    PORT_READ_BEFORE_CONNECT,
    BIND_FAILURE,
    CONNECT_FAILURE,
    OPTION_FAILURE,
    INTERNAL_ERROR,
    /** A sampled bind with its destination and result, for the call-site ledger (not logged). */
    CALL_SITE,
    /** An SO_LINGER set worth reporting; the detail is a {@code LingerFinding}. */
    LINGER_SET,
    /** A close of a socket with linger on that blocked; the detail is a {@code LingerFinding}. */
    LINGER_CLOSE
  }

  public final Kind kind;
  public final Object api;
  public final Object detail;
  public final String target;
  public final String thread;

  /** Stack of the application call (filled in, not yet walked), or the error itself. */
  public final Throwable stack;

  public Finding(Kind kind, Object api, Object detail, String target, Throwable stack) {
    this.kind = kind;
    this.api = api;
    this.detail = detail;
    this.target = target;
    this.thread = Thread.currentThread().getName();
    this.stack = stack;
  }

  /** The application frame that made the call. Walks the stack: call on the reporter thread. */
  public String callSite() {
    return CallSite.of(stack);
  }
}
