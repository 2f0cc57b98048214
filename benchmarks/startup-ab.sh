#!/usr/bin/env bash
# Same-run A/B of agent jars at startup: wall time of a program whose main returns at once, without an
# agent and with each jar, the cells interleaved run by run, median of N. Separates a change from the
# machine's drift between runs of benchmarks/run.sh (which compares with and without one jar). Also the
# median CPU time of the whole process, user + sys (GNU time's %U and %S, 10 ms resolution): on a loaded
# machine it moves far less than the wall time, which includes waiting for a CPU.
#
#   benchmarks/startup-ab.sh [-n 41] [-j JAVA_HOME] NEW.jar OLD.jar ...
set -euo pipefail
n=41
java_home=/usr/lib/jvm/java-17-openjdk-amd64
while getopts "n:j:" o; do
  case $o in
    n) n=$OPTARG ;;
    j) java_home=$OPTARG ;;
    *) echo "usage: $0 [-n runs] [-j JAVA_HOME] JAR..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
(($#)) || { echo "usage: $0 [-n runs] [-j JAVA_HOME] JAR..." >&2; exit 2; }
for jar in "$@"; do [[ -f $jar ]] || { echo "startup-ab: no such jar: $jar" >&2; exit 2; }; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'public class Quick { public static void main(String[] a) {} }\n' >"$tmp/Quick.java"
"$java_home/bin/javac" --release 8 -d "$tmp" "$tmp/Quick.java" 2>/dev/null || "$java_home/bin/javac" -d "$tmp" "$tmp/Quick.java"
cells=("") ; for jar in "$@"; do cells+=("-javaagent:$jar"); done
declare -a times cpus
for _ in $(seq "$n"); do
  for k in "${!cells[@]}"; do
    t0=$(date +%s%N)
    /usr/bin/time -o "$tmp/cpu" -f '%U %S' "$java_home/bin/java" ${cells[$k]} -cp "$tmp" Quick >/dev/null 2>&1
    t1=$(date +%s%N)
    times[$k]+="$(((t1 - t0) / 100000)) "
    cpus[$k]+="$(awk '{printf "%d", ($1 + $2) * 1000}' "$tmp/cpu") "
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | sed -n "$(((n + 1) / 2))p"; }
echo "startup-ab: $("$java_home/bin/java" -version 2>&1 | head -1), median of $n interleaved runs"
for k in "${!cells[@]}"; do
  m=$(median "${times[$k]}")
  printf '  %-60s %6d.%d ms, CPU user+sys %4d ms\n' "${cells[$k]:-no agent}" $((m / 10)) $((m % 10)) "$(median "${cpus[$k]}")"
done
