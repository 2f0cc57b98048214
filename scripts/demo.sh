#!/usr/bin/env bash
# The main job, shown by the kernel: the same bind-before-connect client without and with fourtuple, in a
# private network namespace whose ephemeral port range is 10 ports, against 10 local destinations.
#
#   scripts/demo.sh [--api socket|channel|async|async-handler] [--java /path/to/bin/java]
#
# Needs root (a network namespace and its ip_local_port_range); builds the jars first if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
api=socket
java=java
while (($#)); do
  case $1 in
    --api)
      case ${2:-} in
        socket|channel|async|async-handler) api=$2; shift 2 ;;
        *) echo "demo.sh: --api takes socket, channel, async or async-handler, not '${2:-}'" >&2; exit 2 ;;
      esac ;;
    --java) java=$2; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--api socket|channel|async|async-handler] [--java /path/to/bin/java]" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) != 0 ]]; then
  cat >&2 <<'TEXT'
demo.sh needs root. It creates a private network namespace (unshare -n) so it can set that namespace's
ip_local_port_range to 10 ports without touching this host, and runs the client there twice. Run it as
root (sudo scripts/demo.sh), or in a container started with --privileged or CAP_SYS_ADMIN.
TEXT
  exit 1
fi
for tool in unshare ip; do
  command -v $tool >/dev/null || { echo "demo.sh: '$tool' is missing (apt-get install util-linux iproute2)" >&2; exit 1; }
done
agent=agent/target/fourtuple-agent.jar
samples=sample-apps/target/fourtuple-sample-apps.jar
if [[ ! -f $agent || ! -f $samples ]]; then
  echo "demo.sh: building the agent and the sample apps (mvn package)..." >&2
  command -v mvn >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq maven >/dev/null; }
  mvn -B -q -ntp package -DskipTests
fi

low=60000 high=60009 destinations=10 per=20
in_netns() {
  unshare -n sh -c "ip link set lo up && echo '$low $high' > /proc/sys/net/ipv4/ip_local_port_range && exec \"\$@\"" sh "$@"
}
client=(io.fourtuple.samples.BindBeforeConnect --api "$api" --destinations $destinations --per-destination $per)

echo "A client binds to 127.0.0.1:0 before each connect, as a pool with a configured local address does,"
echo "and holds every connection open: $destinations local destinations x $per attempts, $(( high - low + 1 )) ephemeral ports."
echo
echo "== without the agent: $java -cp $samples ${client[*]}"
without=$(in_netns "$java" -cp "$samples" "${client[@]}" 2>&1)
grep -vE '^RESULT' <<<"$without" | sed 's/^/   /'
echo
echo "== with the agent: $java -javaagent:$agent -cp $samples ${client[*]}"
with=$(in_netns "$java" -javaagent:"$agent" -cp "$samples" "${client[@]}" 2>&1)
grep -vE '^RESULT' <<<"$with" | sed 's/^/   /'
echo

field() { sed -n 's/.*RESULT .* '"$2"'=\([0-9]*\).*/\1/p' <<<"$1"; }
n_without=$(field "$without" connected)
n_with=$(field "$with" connected)
printf '%-22s %s\n' "" "connections held"
printf '%-22s %8s   (the %d ports are shared by all destinations: bind reserves each one)\n' "without the agent" "$n_without" $(( high - low + 1 ))
printf '%-22s %8s   (each destination gets the whole range: the port is chosen at connect)\n' "with the agent" "$n_with"
