package io.fourtuple.benchmarks;

/**
 * A benchmark result that cannot be trusted (a child JVM failed, or the agent did not do what the
 * configuration says it does). Stops the run with a non-zero exit: a number from a broken run is
 * worse than no number.
 */
final class BenchmarkFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BenchmarkFailure(String message) {
    super(message);
  }
}
