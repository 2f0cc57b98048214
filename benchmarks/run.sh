#!/usr/bin/env bash
# Builds the agent and the benchmarks, then runs the whole-process benchmarks: child JVMs with and
# without the agent, compared in the same run. Not part of `mvn test` or `mvn verify`.
#
#   benchmarks/run.sh [startup|connect|all] [options]      (default: all, about 3.5 min on 2 cores)
#
#   benchmarks/run.sh startup --runs 30
#   benchmarks/run.sh startup --jdks /usr/lib/jvm/java-17-openjdk-amd64,$HOME/.cache/jdks/jdk-21
#   benchmarks/run.sh connect --rounds 10 --seconds 5 --warmup-seconds 2 --api channel
#
# Startup:  --jdks HOME[,HOME...] (default JDK 17 and 25), --runs N (20), --warmup-runs N (2),
#           --breakdown true|false (true: also an empty agent and the agent with enabled=false)
# Connect:  --jdk HOME (JDK 17), --rounds N (5), --warmup-seconds S (2), --seconds S (5),
#           --slice-ms MS (250), --api socket|channel|async (socket), --acceptor inline|thread (inline)
# Both:     --agent PATH (default agent/target/fourtuple-agent.jar)
#
# SKIP_BUILD=1 reuses the jars already built; HARNESS_JAVA_HOME picks the JDK the harness runs on.
# Exit status: 0 goals met, 3 a goal missed (numbers still printed), 1 a run or a check failed,
# 2 bad usage.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
harness_java="${HARNESS_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "building the agent and the benchmarks..." >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl agent,benchmarks -am)
fi

exec "$harness_java" -jar "$here/target/fourtuple-benchmarks.jar" "$@"
