#!/usr/bin/env bash
# Builds the agent and the benchmarks, then runs the whole-process benchmarks.
#
#   benchmarks/run.sh [startup|connect|all] [options passed to the harness]
#
# e.g. benchmarks/run.sh                                   # both, defaults (~3.5 min on 2 cores)
#      benchmarks/run.sh startup --runs 30
#      benchmarks/run.sh connect --seconds 10 --rounds 5 --api channel
#      benchmarks/run.sh all --jdks /usr/lib/jvm/java-17-openjdk-amd64,/path/to/jdk21
#
# Options: --agent PATH, --jdks HOME,HOME, --runs N, --warmup-runs N, --jdk HOME, --rounds N,
# --warmup-seconds S, --seconds S, --api socket|channel (see BenchmarkMain's Javadoc).
# Set SKIP_BUILD=1 to reuse the jars already built.
# Exit status: 0 goals met, 3 a goal missed, 1 a run or a check failed, 2 bad usage.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
harness_java="${HARNESS_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "building the agent and the benchmarks..." >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl agent,benchmarks -am)
fi

exec "$harness_java" -jar "$here/target/fourtuple-benchmarks.jar" "$@"
