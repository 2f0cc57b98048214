package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.connect.ConnectFailure;

/**
 * A stack captured on an application thread (filled in, not walked) for the ledger thread to turn
 * into a call site; for an exhaustion failure, also what failed. A plain class, not a lambda (see
 * {@code Finding}).
 */
final class Sample {
  /** Null for a bind failure: the destination is not known at bind. */
  final Destination destination;

  final Throwable stack;

  /** Null for a successful connect. */
  final ConnectFailure failure;

  final boolean atBind;
  final String target;
  final long timeMillis;

  Sample(
      Destination destination,
      Throwable stack,
      ConnectFailure failure,
      boolean atBind,
      String target) {
    this.destination = destination;
    this.stack = stack;
    this.failure = failure;
    this.atBind = atBind;
    this.target = target;
    this.timeMillis = System.currentTimeMillis();
  }
}
