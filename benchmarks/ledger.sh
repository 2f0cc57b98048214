#!/usr/bin/env bash
# The port ledger's benchmarks, each in a fresh network namespace (needs root):
#
#   benchmarks/ledger.sh table [--connections 50000] [--rounds 15]   # kernel-table reader vs ss -tan
#   benchmarks/ledger.sh heap       # ledger heap at 100k connections / 10k destinations (in-process feed)
#                                   # and agent heap in a real child JVM at the descriptor limit
#   benchmarks/ledger.sh connect [args of run.sh connect]           # connect-loop ratio, ledger on
#   benchmarks/ledger.sh all
#
# Set SKIP_BUILD=1 to reuse the jars already built. Results: docs/ledger-performance.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
harness_java="${HARNESS_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"
agent="$root/agent/target/fourtuple-agent.jar"
jar="$here/target/fourtuple-benchmarks.jar"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "building the agent and the benchmarks..." >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl agent,benchmarks -am)
fi

# Runs a command in a new network namespace with lo up, the full port range, and accept queues deep
# enough that held connections need no accept().
in_namespace() {
  unshare -n sh -c 'ip link set lo up &&
    echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range &&
    echo 65535 > /proc/sys/net/core/somaxconn && exec "$@"' sh "$@"
}

what="${1:-all}"
shift || true
case "$what" in
  table)
    in_namespace "$harness_java" -Xmx1g -cp "$jar" io.fourtuple.benchmarks.ledger.KernelTableBenchmark \
      --agent "$agent" "$@"
    ;;
  heap)
    "$harness_java" -XX:+UseSerialGC -Xmx1g -cp "$jar" io.fourtuple.benchmarks.ledger.LedgerHeapSynthetic \
      --agent "$agent" --connections 100000 --destinations 10000
    # A real JVM holds one descriptor per connection and per listener: size the run to the limit.
    limit="$(ulimit -n)"
    connections=$(( (limit - 500) * 10 / 11 / 10 * 10 ))
    if (( connections > 100000 )); then connections=100000; fi
    in_namespace "$harness_java" -cp "$jar" io.fourtuple.benchmarks.ledger.LedgerHeapBenchmark \
      --agent "$agent" --connections "$connections" --destinations $(( connections / 10 )) "$@"
    ;;
  connect)
    # The existing connect-loop benchmark; the ledger is on by default, so audit vs none includes it.
    SKIP_BUILD=1 exec "$here/run.sh" connect "$@"
    ;;
  all)
    SKIP_BUILD=1 "$0" table
    SKIP_BUILD=1 "$0" heap
    SKIP_BUILD=1 "$0" connect
    ;;
  *)
    echo "usage: $0 table|heap|connect|all [options]" >&2
    exit 2
    ;;
esac
