#!/usr/bin/env bash
# Real third-party clients, unchanged, against real servers on loopback: each in a fresh network
# namespace with a 10-port ephemeral range, D destinations and N connections per destination, once
# without and once with the agent. Needs root (unshare -n), nginx and PostgreSQL (Debian: nginx-light,
# postgresql) and JDK 17+.
#
#   scripts/clients.sh                       # all clients, then the table of docs/third-party-clients.md
#   scripts/clients.sh --client pgjdbc       # one client: its RESULT lines (without, with)
#   options: --java /path/bin/java  --destinations D (3)  --per-destination N (10)  --agent JAR
#
# Set SKIP_BUILD=1 to reuse the jars already built. Lines printed:
#   SERVER client=... server=...            the server the client talked to
#   RESULT client=... label=without|with ... one per client run (see ClientRun's Javadoc)
#   FIRST_ERROR ... / FIRST_WRONG ...        the first failed connection / wrong result, if any
#   # ...                                    the agent's own log lines from the client JVM
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
agent="$root/agent/target/fourtuple-agent.jar"
clients_dir="$root/third-party-clients/target"
java="${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}"
destinations=3
per_destination=10
selected=()
inside=""
label=""
work=""
range_low=60000
range_high=60009

while (($#)); do
  case "$1" in
    --client) selected+=("$2"); shift 2 ;;
    --java) java="$2"; shift 2 ;;
    --agent) agent="$2"; shift 2 ;;
    --destinations) destinations="$2"; shift 2 ;;
    --per-destination) per_destination="$2"; shift 2 ;;
    # internal: already in the namespace, run this client once, with its server's files in --work
    --inside) inside="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "clients.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
all_clients=(apache-httpclient pgjdbc reactor-netty grpc-netty-shaded)
((${#selected[@]})) || selected=("${all_clients[@]}")

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# ---------------------------------------------------------------------------------------------------
# Inside a namespace: start the client's server, run the client once (without or with the agent), stop.
# Each run gets a fresh namespace: the first run's connections would otherwise sit in TIME_WAIT and,
# having been bound explicitly, keep their ports from every connect() of the second.
# ---------------------------------------------------------------------------------------------------
if [[ -n $inside ]]; then
  ip link set lo up
  echo "$range_low $range_high" >/proc/sys/net/ipv4/ip_local_port_range
  server_pid=""
  stop_server() {
    if [[ -f $work/pg/postmaster.pid ]]; then
      kill -TERM "$(head -1 "$work/pg/postmaster.pid")" 2>/dev/null || true
    fi
    if [[ -n $server_pid ]]; then
      kill -TERM "$server_pid" 2>/dev/null || true
      wait "$server_pid" 2>/dev/null || true
    fi
    for _ in $(seq 100); do [[ -f $work/pg/postmaster.pid ]] || break; sleep 0.1; done
  }
  trap stop_server EXIT

  client_args=()
  listen=()
  cp="$clients_dir/fourtuple-third-party-clients.jar:$clients_dir/lib/*"
  case "$inside" in
    apache-httpclient | reactor-netty)
      servers=""
      for ((d = 1; d <= destinations; d++)); do
        listen+=("127.0.0.1:$((18080 + d))")
        servers+="    listen 127.0.0.1:$((18080 + d));"$'\n'
      done
      if [[ ! -f $work/www/big.bin ]]; then
        mkdir -p "$work/www" "$work/tmp"
        # A body large enough to stay in flight: the connection is leased until it is read.
        head -c $((4 * 1024 * 1024)) /dev/urandom >"$work/www/big.bin"
        chmod -R a+rX "$work/www"
        cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
$servers    root $work/www;
  }
}
EOF
        echo "SERVER client=$inside server=$(nginx -v 2>&1 | sed 's/.*: //')"
      fi
      nginx -p "$work" -c "$work/nginx.conf" -e stderr >"$work/server.log" 2>&1 &
      server_pid=$!
      client_args=(--expect-file "$work/www/big.bin")
      ;;
    pgjdbc)
      bin=$(postgres_bin)
      addresses=""
      for ((d = 1; d <= destinations; d++)); do
        listen+=("127.0.0.$d:5432")
        addresses+="${addresses:+,}127.0.0.$d"
      done
      if [[ ! -d $work/pg ]]; then
        mkdir -p "$work/pg" "$work/sock"
        chown postgres "$work/pg" "$work/sock"
        (cd / && runuser -u postgres -- "$bin/initdb" -D "$work/pg" -A trust -U postgres --no-sync \
          >"$work/initdb.log" 2>&1) || { cat "$work/initdb.log" >&2; exit 1; }
        echo "SERVER client=$inside server=PostgreSQL-$("$bin/postgres" --version | awk '{print $3}')"
      fi
      (cd / && exec runuser -u postgres -- "$bin/postgres" -D "$work/pg" -c listen_addresses="$addresses" \
        -c port=5432 -c unix_socket_directories="$work/sock" \
        -c max_connections=$((destinations * per_destination + 20)) -c fsync=off \
        >"$work/server.log" 2>&1) &
      server_pid=$!
      ;;
    grpc-netty-shaded)
      for ((d = 1; d <= destinations; d++)); do listen+=("127.0.0.1:$((50050 + d))"); done
      if [[ ! -f $work/grpc ]]; then
        touch "$work/grpc"
        echo "SERVER client=$inside server=grpc-java-$(ls "$clients_dir/lib" \
          | sed -n 's/^grpc-services-\(.*\)\.jar$/\1/p')-health-service"
      fi
      "$java" -cp "$cp" io.fourtuple.clients.GrpcHealthServer "$(IFS=,; echo "${listen[*]}")" \
        >"$work/server.log" 2>&1 &
      server_pid=$!
      ;;
    *) echo "clients.sh: unknown client $inside" >&2; exit 2 ;;
  esac

  # The server is ready when the kernel lists every listening address.
  for ((i = 0; ; i++)); do
    # Netty listens on IPv6 sockets: ss shows [::ffff:127.0.0.1]:port for an IPv4 address.
    listening=$(ss -ltnH | awk '{print $4}' | sed 's/^\[::ffff:\(.*\)\]:/\1:/')
    missing=0
    for a in "${listen[@]}"; do grep -qxF "$a" <<<"$listening" || missing=1; done
    ((missing == 0)) && break
    if ((i >= 300)) || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "clients.sh: $inside's server did not listen on ${listen[*]}:" >&2
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.1
  done

  jvm=()
  [[ $label == with ]] && jvm=("-javaagent:$agent")
  status=0
  "$java" "${jvm[@]}" -cp "$cp" io.fourtuple.clients.ClientRun --client "$inside" \
    --destinations "$(IFS=,; echo "${listen[*]}")" --per-destination "$per_destination" \
    --source 127.0.0.1 --label "$label" "${client_args[@]}" >"$work/client.out" 2>"$work/client.err" ||
    status=$?
  cat "$work/client.out"
  if ((status != 0)); then
    echo "clients.sh: $inside ($label) exited with $status; its stderr:" >&2
    tail -40 "$work/client.err" >&2
  else
    # The agent's own lines, and its exit summary's rows (one per destination, with its top call site).
    grep -E ' fourtuple |^127\.0\.0\.1:[0-9]+ ' "$work/client.err" | sed 's/^/# /' || true
  fi
  exit $status
fi

# ---------------------------------------------------------------------------------------------------
# Outside: build, then one namespace per client; with no --client, the table.
# ---------------------------------------------------------------------------------------------------
if [[ $(id -u) != 0 ]]; then
  echo "clients.sh: needs root for network namespaces (unshare -n)" >&2
  exit 1
fi
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "building the agent and the clients..." >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl agent,third-party-clients -am)
fi
command -v nginx >/dev/null || echo "clients.sh: nginx not found (Debian: nginx-light)" >&2
[[ -n $(postgres_bin) ]] || echo "clients.sh: PostgreSQL not found (Debian: postgresql)" >&2

out=$(mktemp)
work=$(mktemp -d /tmp/fourtuple-clients.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$out" "$work"' EXIT
status=0
for client in "${selected[@]}"; do
  rm -rf "${work:?}"/*
  for label in without with; do
    unshare -n bash "$0" --inside "$client" --label "$label" --work "$work" --java "$java" --agent "$agent" \
      --destinations "$destinations" --per-destination "$per_destination" | tee -a "$out" || status=1
  done
done

if ((${#selected[@]} > 1)); then
  echo
  echo "| library | version | setting | server | D × N | held without | held with | requests ok without / with |"
  echo "|---|---|---|---|---|---|---|---|"
  awk '
    function kv(line, key,   n, i, parts, f) {
      n = split(line, parts, " ")
      for (i = 1; i <= n; i++) { if (index(parts[i], key "=") == 1) return substr(parts[i], length(key) + 2) }
      return ""
    }
    /^SERVER / { server[kv($0, "client")] = kv($0, "server") }
    /^RESULT / {
      c = kv($0, "client"); l = kv($0, "label")
      if (!(c in seen)) { seen[c] = 1; order[++count] = c }
      lib[c] = kv($0, "library"); ver[c] = kv($0, "version"); set[c] = kv($0, "setting")
      dn[c] = kv($0, "destinations") " × " kv($0, "attempted") / kv($0, "destinations")
      extra = kv($0, "netty") == "" ? "" : " (Netty " kv($0, "netty") ", epoll " kv($0, "epollAvailable") ")"
      ver[c] = ver[c] extra
      held[c, l] = kv($0, "held") " (" kv($0, "heldPerDestination") ")"
      ok[c, l] = kv($0, "requestsOk") " of " kv($0, "attempted")
    }
    END {
      for (i = 1; i <= count; i++) {
        c = order[i]
        printf "| %s | %s | `%s` | %s | %s | %s | %s | %s / %s |\n", lib[c], ver[c], set[c], server[c], dn[c],
          held[c, "without"], held[c, "with"], ok[c, "without"], ok[c, "with"]
      }
    }' "$out"
fi
exit $status
