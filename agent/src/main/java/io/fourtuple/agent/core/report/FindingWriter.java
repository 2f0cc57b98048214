package io.fourtuple.agent.core.report;

import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.linger.LingerFinding;
import org.slf4j.Logger;

/** Turns {@link Finding}s into the agent's log lines. Runs on the reporter thread. */
public final class FindingWriter implements Reporter.Writer {
  private final Logger log;

  public FindingWriter(Logger log) {
    this.log = log;
  }

  @Override
  public void write(Finding f) {
    switch (f.kind) {
      case FIRST_BIND:
        writeFirstBind(f);
        break;
      case PORT_READ_BEFORE_CONNECT:
        if (f.detail != null) {
          log.warn(
              "{} code read the local port of a socket between bind and connect at {} [thread {}],"
                  + " and no port was free to give it ({}: the JDK's own bind would have failed"
                  + " the same way): the read returned 0 and the socket's port is chosen at"
                  + " connect; further ones are not logged",
              f.api,
              f.callSite(),
              f.thread,
              String.valueOf(f.detail));
          break;
        }
        log.info(
            "{} code read the local port of a socket between bind and connect at {} [thread {}]:"
                + " the agent gave that socket its port then, as the JDK would have at bind, so it"
                + " does not share ports across destinations (observed before connect: JDK"
                + " behaviour kept); further ones are counted in the summary and per call site",
            f.api,
            f.callSite(),
            f.thread);
        break;
      case BIND_FAILURE:
      case CONNECT_FAILURE:
        log.warn(
            "{} {} to {} failed: {} at {} [thread {}]; later failures of this kind are counted in"
                + " the summary",
            f.api,
            f.kind == Finding.Kind.BIND_FAILURE ? "bind" : "connect",
            f.target,
            f.detail,
            f.callSite(),
            f.thread);
        break;
      case OPTION_FAILURE:
        if (f.detail == BindOutcome.REFUSED_BY_KERNEL) {
          log.warn(
              "the kernel refused IP_BIND_ADDRESS_NO_PORT ({}); the rewrite is off for the rest of"
                  + " this process, binds proceed as the application wrote them",
              f.stack.getMessage());
        } else {
          log.warn(
              "setting IP_BIND_ADDRESS_NO_PORT failed ({}); that bind went ahead unchanged, further"
                  + " failures are counted",
              f.stack.toString());
        }
        break;
      case INTERNAL_ERROR:
        log.warn(
            "internal error in hook {} (the application's call went ahead unchanged; further errors"
                + " here are counted, not logged)",
            f.detail,
            f.stack);
        break;
      case LINGER_SET:
      case LINGER_CLOSE:
        ((LingerFinding) f.detail).write(log, f);
        break;
      default:
        break;
    }
  }

  private void writeFirstBind(Finding f) {
    BindOutcome outcome = (BindOutcome) f.detail;
    String where = f.callSite();
    switch (outcome) {
      case APPLIED:
        log.info(
            "{} binds to {} before connect at {} [thread {}]: IP_BIND_ADDRESS_NO_PORT set, so its"
                + " source port is chosen at connect and shared across destinations; further ones"
                + " are counted in the summary",
            f.api,
            f.target,
            where,
            f.thread);
        break;
      case WOULD_APPLY:
        log.info(
            "audit: {} binds to {} before connect at {} [thread {}]: each such socket reserves a"
                + " source port for every destination; enforce mode would set"
                + " IP_BIND_ADDRESS_NO_PORT so ports are shared per destination",
            f.api,
            f.target,
            where,
            f.thread);
        break;
      default:
        log.info(
            "{} binds to {} before connect at {} [thread {}]: {}",
            f.api,
            f.target,
            where,
            f.thread,
            outcome.description());
        break;
    }
  }
}
