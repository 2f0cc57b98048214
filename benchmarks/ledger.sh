#!/usr/bin/env bash
# The port ledger's benchmarks, each in a fresh network namespace (needs root):
#
#   benchmarks/ledger.sh table [--connections 50000] [--rounds 15]   # kernel-table reader vs ss -tan
#   benchmarks/ledger.sh heap       # ledger heap at 100k connections / 10k destinations (in-process feed)
#                                   # and agent heap in a real child JVM at the descriptor limit
#   benchmarks/ledger.sh connect [args of run.sh connect]           # connect-loop ratio, ledger on
#   benchmarks/ledger.sh ledger-cost [rounds] [seconds]             # none / audit+ledger / audit-ledger
#   benchmarks/ledger.sh hook-cost                                  # the ledger's ns per connect, alone
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
  hook-cost)
    "$harness_java" -cp "$jar" io.fourtuple.benchmarks.ledger.LedgerHookCost --agent "$agent"
    ;;
  ledger-cost)
    # The ledger's own share of the hook cost: the connect-loop workload round-robin without the agent,
    # with it in audit mode (ledger on, the default), and in audit mode with the ledger off.
    rounds="${1:-7}"
    seconds="${2:-5}"
    # The workload asks the kernel for each socket's port through JDK internals (KernelView), so every
    # configuration gets them opened; JDK 8 has no modules and rejects the flag.
    opens=(--add-opens java.base/java.net=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED)
    if ! "$harness_java" "${opens[@]}" -version >/dev/null 2>&1; then opens=(); fi
    declare -A rates
    configs=(none audit audit-noledger)
    for ((r = 0; r < rounds; r++)); do
      line="  round $((r + 1)):"
      for ((i = 0; i < ${#configs[@]}; i++)); do
        c="${configs[$(((i + r) % ${#configs[@]}))]}"
        case "$c" in
          none) agent_arg=() ;;
          audit) agent_arg=("-javaagent:$agent=mode=audit") ;;
          audit-noledger) agent_arg=("-javaagent:$agent=mode=audit,ledger.enabled=false") ;;
        esac
        rate="$("$harness_java" "${opens[@]}" "${agent_arg[@]}" -cp "$jar" io.fourtuple.benchmarks.workload.ConnectLoop \
          --api socket --noport none --warmup-ms 2000 --measure-ms "$((seconds * 1000))" 2>/dev/null |
          sed -n 's/^RESULT .*rate=\([0-9]*\).*/\1/p')"
        rates[$c]+="$rate "
        line+=" $c=$rate"
      done
      echo "$line"
    done
    median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
    none="$(echo "${rates[none]}" | median)"
    audit="$(echo "${rates[audit]}" | median)"
    off="$(echo "${rates[audit-noledger]}" | median)"
    echo "median connects/s: none=$none audit(ledger on)=$audit audit(ledger off)=$off"
    awk -v n="$none" -v a="$audit" -v o="$off" 'BEGIN {
      printf "audit(ledger on) / none = %.3f (goal >= 0.98); audit(ledger on) / audit(ledger off) = %.3f\n", a / n, a / o }'
    ;;
  all)
    SKIP_BUILD=1 "$0" table
    SKIP_BUILD=1 "$0" heap
    SKIP_BUILD=1 "$0" hook-cost
    SKIP_BUILD=1 "$0" ledger-cost
    SKIP_BUILD=1 "$0" connect
    ;;
  *)
    echo "usage: $0 table|heap|connect|all [options]" >&2
    exit 2
    ;;
esac
