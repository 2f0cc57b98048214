#!/usr/bin/env bash
# Builds the agent and the benchmarks, then measures attach and detach against running JVMs.
#
#   benchmarks/attach.sh [--runs 10] [--jdk TARGET_JAVA_HOME] [--agent PATH]
#
# The command line runs on HARNESS_JAVA_HOME (default JDK 17); targets on --jdk (default JDK 17).
# Results are recorded in docs/attach-performance.md. Set SKIP_BUILD=1 to reuse the jars already built.
# Exit status: 0 goals met, 3 a goal missed, 1 a run or a check failed, 2 bad usage.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
harness_java="${HARNESS_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "building the agent and the benchmarks..." >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl agent,benchmarks -am)
fi

exec "$harness_java" -cp "$here/target/fourtuple-benchmarks.jar" \
  io.fourtuple.benchmarks.attach.AttachBenchmark "$@"
