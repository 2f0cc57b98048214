#!/usr/bin/env bash
# Builds the agent and the benchmarks, then runs them: child JVMs with and without the agent, compared
# in the same run, each figure printed with its goal. Not part of `mvn test` or `mvn verify`.
#
#   benchmarks/run.sh [startup|connect|hotpath|throughput|all] [options]   (default all, 10-12 min on 2 cores)
#
#   benchmarks/run.sh startup --runs 30
#   benchmarks/run.sh startup --jdks /usr/lib/jvm/java-17-openjdk-amd64,$HOME/.cache/jdks/jdk-21
#   benchmarks/run.sh connect --rounds 10 --seconds 5 --warmup-seconds 2 --api channel
#   benchmarks/run.sh hotpath --jmh-rounds 5 --jmh-iterations 10
#   benchmarks/run.sh throughput --throughput-jdks /usr/lib/jvm/temurin-25-jdk-amd64 --throughput-rounds 5
#
# Startup:    --jdks HOME[,HOME...] (default JDK 17 and 25), --runs N (20), --warmup-runs N (2),
#             --breakdown true|false (true: also an empty agent and the agent with enabled=false)
# Connect:    --jdk HOME (JDK 17), --rounds N (5), --warmup-seconds S (2), --seconds S (5),
#             --slice-ms MS (250), --api socket|channel|async (socket), --acceptor inline|thread (inline)
# Hot path:   --jmh-jdk HOME (JDK 17), --jmh-rounds N (3), --jmh-warmup-iterations N (2),
#             --jmh-iterations N (3), --jmh-iteration-ms MS (1000)
# Throughput: --throughput-jdks HOME[,HOME...] (JDK 21 and 25), --throughput-rounds N (3),
#             --tasks N (2000 virtual threads), --cycles N (50 each)
# All:        --agent PATH (default agent/target/fourtuple-agent.jar); every mode prints the jar's size.
#
# SKIP_BUILD=1 reuses the jars already built; HARNESS_JAVA_HOME picks the JDK the harness (and JMH) runs
# on: not JDK 21 of ~/.cache/jdks, whose jspawnhelper cannot run here (JDK 21 and 25 run as children).
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

# JMH and its dependencies come from target/lib (see benchmarks/pom.xml); JMH's forks inherit this path.
exec "$harness_java" -cp "$here/target/fourtuple-benchmarks.jar:$here/target/lib/*" \
  io.fourtuple.benchmarks.BenchmarkMain "$@"
