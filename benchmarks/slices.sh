#!/usr/bin/env bash
# Two services on one host, one source IP, one backend, a 40-port ephemeral range (40000-40039), in a
# fresh network namespace: a churner (short connections it closes itself, so every port it used stays in
# TIME_WAIT for 60 s) and a steady service (request/response connections the backend closes). Run twice:
# without the agent, then with fourtuple.ports.slice=40000-40019 for the churner and 40020-40039 for
# the steady one. Prints the steady service's connect success in each, and the churner's.
# Needs root (unshare -n, the namespace's sysctl). Not part of `mvn verify` (about 2 x (SECONDS + 20) s).
#
#   benchmarks/slices.sh [SECONDS (30)] [RATE (20 connects/s for the steady one)]
#
# JAVA_HOME picks the JDK (default 17); SKIP_BUILD=1 reuses the jars already built.
# Exit status: 0 the steady service kept >= 99.9% with slices, 3 it did not, 1 a run failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-30}"
rate="${2:-20}"
java="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java"
agent="$root/agent/target/fourtuple-agent.jar"
samples="$root/sample-apps/target/fourtuple-sample-apps.jar"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$root" && mvn -q -B -o package -DskipTests -pl agent,sample-apps -am)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One scenario inside its own namespace; $1: the churner's agent option, $2: the steady one's.
scenario() {
  local churn_agent="$1" steady_agent="$2" out="$3"
  unshare -n bash -s "$java" "$samples" "$seconds" "$rate" "$churn_agent" "$steady_agent" "$out" <<'EOF'
set -euo pipefail
java="$1" samples="$2" seconds="$3" rate="$4" churn_agent="$5" steady_agent="$6" out="$7"
ip link set lo up
echo "40000 40039" > /proc/sys/net/ipv4/ip_local_port_range
# A remote backend's TIME_WAIT is not reused (tcp_tw_reuse=2, the default, reuses it on loopback only).
echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse
"$java" -cp "$samples" io.fourtuple.samples.PortSlices server --port 7000 > "$out.server" 2>&1 &
server=$!
until grep -q LISTENING "$out.server"; do sleep 0.1; done
# shellcheck disable=SC2086
"$java" $churn_agent -cp "$samples" io.fourtuple.samples.PortSlices churn --port 7000 \
  --seconds $((seconds + 15)) > "$out.churn" 2> "$out.churn.err" &
churn=$!
until grep -q "CHURN exhausted" "$out.churn"; do sleep 0.1; done # the churner has filled what it may
# shellcheck disable=SC2086
"$java" $steady_agent -cp "$samples" io.fourtuple.samples.PortSlices steady --port 7000 \
  --seconds "$seconds" --rate "$rate" > "$out.steady" 2> "$out.steady.err"
ss -tan state time-wait | awk 'NR>1 {p=$3; sub(/.*:/, "", p); if (p>=40000 && p<=40019) c++; else if (p>=40020 && p<=40039) s++} END {print "TIMEWAIT churnerSlice=" c+0 " steadySlice=" s+0}' > "$out.ss"
wait "$churn"
kill "$server"
EOF
}

echo "namespace range 40000-40039 (40 ports), backend 127.0.0.1:7000, steady: $rate connects/s for $seconds s" >&2
scenario "" "" "$work/none"
scenario "-javaagent:$agent=ports.slice=40000-40019" "-javaagent:$agent=ports.slice=40020-40039" "$work/sliced"

status=0
for run in none sliced; do
  steady="$(grep '^RESULT' "$work/$run.steady")"
  churn="$(grep '^RESULT' "$work/$run.churn")"
  echo "$run: steady $steady; errors $(grep '^ERRORS' "$work/$run.steady" | cut -c8-)"
  echo "$run: churner $churn; $(grep '^CHURN' "$work/$run.churn"); $(cat "$work/$run.ss")"
done
grep -h "port slice\|ports.slice" "$work/sliced.churn.err" "$work/sliced.steady.err" || true
percent="$(grep '^RESULT' "$work/sliced.steady" | sed 's/.*successPercent=//')"
awk -v p="$percent" 'BEGIN {exit !(p >= 99.9)}' || status=3
[[ $status == 0 ]] && echo "goal met: steady service >= 99.9% with slices ($percent%)" \
  || echo "goal MISSED: steady service $percent% with slices"
exit $status
