#!/usr/bin/env bash
# Conformance: the OpenJDK's own jtreg socket tests pass with the agent exactly as without it. For each JDK,
# runs the test directories below twice, without and with -javaagent (enforce mode, default settings), each
# pass in its own network namespace (unshare -n, lo up), compares the sets of passed tests and fails when
# they differ; a test that differs is run again, without and with the agent, and counts only when it
# differs again. Tests that fail without the agent on this machine are listed and not counted.
#
#   scripts/conformance.sh [--jdk HOME ...] [--agent JAR] [--agent-args ARGS] [--dir TESTDIR ...]
#                          [--keep DIR] [--require]
#
#   --jdk HOME         a JDK to test, repeatable; default: JDK 17 and JDK 21 (21 from jdks.sh)
#   --agent JAR        default agent/target/fourtuple-agent.jar, built when missing
#   --agent-args ARGS  load the agent as -javaagent:JAR=ARGS (for the intended differences in
#                      docs/conformance.md; the default run has none)
#   --dir TESTDIR      a test directory or file under test/jdk, repeatable; default: the socket
#                      directories listed below
#   --keep DIR         keep jtreg's work and report directories and the result table in DIR
#   --require          fail (exit 1) instead of skipping (exit 0) when not root; CI=true implies it
#
# Installs Debian's jtreg7 where missing and takes the test sources from Debian's openjdk-<major> source
# package through ../shared/tools/apt-source.py, preferring the version that matches the JDK; only the test
# directories are unpacked, into $HOME/.cache/fourtuple-jtreg, so later runs need no network. Where the
# registry serves no openjdk-<major> sources, that JDK runs openjdk-17's tests and the table says so.
# Exit status: 0 when every JDK's pass sets agree, 1 when they differ or a test JVM ran without the agent,
# 2 on a setup error (arguments, Debian's registry unreachable, jtreg produced no results).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

default_dirs=(java/net/Socket java/net/ServerSocket java/net/SocketOption java/net/BindException
  java/net/SocketImpl java/net/SocketInputStream java/net/Socks java/net/HttpURLConnection
  java/nio/channels/SocketChannel java/nio/channels/ServerSocketChannel
  java/nio/channels/AsynchronousSocketChannel java/nio/channels/AsynchronousServerSocketChannel
  java/nio/channels/etc)
# What is unpacked from a source package: the directories above live under these, and the tests' @library
# paths and TEST.ROOT's extra property definitions reach into test/lib and test/jtreg-ext.
unpack=('*/test/jdk/TEST.ROOT' '*/test/jtreg-ext/*' '*/test/lib/*' '*/test/jdk/java/net/*'
  '*/test/jdk/java/nio/channels/*')
cache=${FOURTUPLE_JTREG_CACHE:-$HOME/.cache/fourtuple-jtreg}
aptsrc=../shared/tools/apt-source.py
jtreg_java=/usr/lib/jvm/java-17-openjdk-amd64 # runs jtreg itself (jtreg 7 needs 11+)
# Tests at once. Most of these tests wait (timeouts, peers, accept) rather than compute, so 4 on 2 cores
# finish sooner than 2 without new failures (measured: docs/conformance.md); -timeoutFactor:4 gives the
# slow ones room on a shared machine.
conc=4

usage() {
  sed -n '/^#   scripts\/conformance.sh/,/^#   --require/p' "$0" | sed 's/^#//; s/^ //' >&2
  exit 2
}
die() { echo "conformance.sh: $*" >&2; exit 2; }

jdks=()
dirs=()
agent=agent/target/fourtuple-agent.jar
agent_args=
keep=
require=false
[[ ${CI:-} == true ]] && require=true
while (($#)); do
  case $1 in
    --jdk) [[ -x ${2:-}/bin/java ]] || die "--jdk: no bin/java under '${2:-}'"; jdks+=("$2"); shift 2 ;;
    --agent) [[ -n ${2:-} ]] || usage; agent=$2; shift 2 ;;
    --agent-args) [[ -n ${2:-} ]] || usage; agent_args=$2; shift 2 ;;
    --dir) [[ -n ${2:-} ]] || usage; dirs+=("$2"); shift 2 ;;
    --keep) [[ -n ${2:-} ]] || usage; keep=$2; shift 2 ;;
    --require) require=true; shift ;;
    *) usage ;;
  esac
done
((${#dirs[@]})) || dirs=("${default_dirs[@]}")

if [[ $(id -u) != 0 ]]; then
  echo "conformance.sh: skipped: not root. Each jtreg pass runs in its own network namespace (unshare -n)," \
    "which needs root, so that tests with and without the agent never share ports or sockets." >&2
  [[ $require == true ]] && exit 1
  exit 0
fi

# --- tools -------------------------------------------------------------------------------------------------
apt_updated=false
apt_install() {
  if [[ $apt_updated == false ]]; then
    apt-get update -qq >/dev/null 2>&1 || die "cannot reach Debian's package registry (apt-get update failed); $* must be installed from there"
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
    die "apt-get install $* failed (Debian's package registry unreachable?)"
}
need=()
command -v jtreg >/dev/null || need+=(jtreg7)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v xz >/dev/null || need+=(xz-utils)
command -v gcc >/dev/null || need+=(gcc) # the tests' JNI libraries (-nativepath)
((${#need[@]})) && apt_install "${need[@]}"
[[ -x $jtreg_java/bin/java ]] || jtreg_java=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
export JT_JAVA=$jtreg_java

if [[ ! -f $agent ]]; then
  [[ $agent == agent/target/fourtuple-agent.jar ]] || die "--agent: no file '$agent'"
  echo "conformance.sh: building the agent jar"
  mvn -B -ntp -q -DskipTests -pl agent -am package
fi
agent=$(readlink -f "$agent")
javaagent=-javaagent:$agent${agent_args:+=$agent_args}

if ((${#jdks[@]} == 0)); then
  jdks=(/usr/lib/jvm/java-17-openjdk-amd64)
  installer=scripts/jdks.sh
  [[ -x ../shared/tools/jdks.sh ]] && installer=../shared/tools/jdks.sh
  newer=$(bash "$installer" | awk '$1 == 21 {print $2}') || die "$installer failed (it installs JDK 21)"
  [[ -n $newer ]] || die "$installer printed no JDK 21"
  jdks+=("$newer")
fi

# --- test sources ------------------------------------------------------------------------------------------
# Debian's source packages of the newer JDKs are in trixie and sid, beside the machine's own suites, which
# apt-source.py reads from the system's list; it reads extra lists from $APTSRC_DIR/parts.
export APTSRC_DIR=$cache/apt
lists_updated=false
update_lists() {
  [[ $lists_updated == true ]] && return
  [[ -f $aptsrc ]] || die "$aptsrc not found (../shared beside the checkout)"
  mkdir -p "$APTSRC_DIR/parts"
  local key='[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]' suite
  for suite in "debian trixie" "debian-security trixie-security" "debian sid"; do
    echo "deb-src $key http://deb.debian.org/${suite% *} ${suite#* } main"
  done >"$APTSRC_DIR/parts/newer-jdks.list"
  # apt-get update only warns when a list cannot be fetched; --error-on=any makes that an error.
  python3 "$aptsrc" -qq --error-on=any update >"$cache/apt-update.log" 2>&1 ||
    die "cannot reach Debian's package registry: the deb-src lists did not update, so the OpenJDK test sources cannot be fetched (see $cache/apt-update.log)"
  lists_updated=true
}
source_versions() { # the versions of source package $1 in the lists, newest first
  local f
  for f in "$APTSRC_DIR"/lists/*_source_Sources*; do
    /usr/lib/apt/apt-helper cat-file "$f"
  done | awk -v p="$1" '$1 == "Package:" {pkg = $2} $1 == "Version:" && pkg == p {print $2}' | sort -u -r -V
}
# fetch_tree MAJOR UPSTREAM: sets tree and tree_version to an unpacked test tree of source package
# openjdk-MAJOR, of the version whose upstream part is UPSTREAM if it can be fetched, else of the newest one
# that can (the registry sometimes lists a version whose files it does not serve). Fails when none can.
fetch_tree() {
  local v exact=() others=() dl=$cache/download
  while read -r v; do
    if [[ ${v%-*} == "$2" ]]; then exact+=("$v"); else others+=("$v"); fi
  done < <(source_versions "openjdk-$1")
  for v in ${exact[@]+"${exact[@]}"} ${others[@]+"${others[@]}"}; do
    tree=$cache/openjdk-${1}_$v tree_version=$v
    [[ -f $tree/test/jdk/TEST.ROOT ]] && { rm -rf "$dl"; return; }
    rm -rf "$dl" && mkdir -p "$dl"
    (cd "$dl" && python3 "$root/$aptsrc" -qq source --download-only "openjdk-$1=$v") \
      >"$cache/download-openjdk-$1.log" 2>&1 || continue
    rm -rf "$tree.part" && mkdir -p "$tree.part"
    tar -xJf "$dl"/openjdk-"$1"_*.orig.tar.xz -C "$tree.part" --strip-components=1 --wildcards "${unpack[@]}"
    # TEST.groups names directories that are not unpacked, and jtreg rejects a group file naming missing
    # files; no group is used here, so it is left empty.
    : >"$tree.part/test/jdk/TEST.groups"
    mv "$tree.part" "$tree"
    rm -rf "$dl"
    return
  done
  rm -rf "$dl"
  return 1
}
# choose_sources MAJOR UPSTREAM: writes $cache/choice-MAJOR-UPSTREAM: line 1 the test/jdk directory, line 2
# which sources those are. The choice is kept, so later runs need no network; remove the file to choose
# again. Where no openjdk-MAJOR sources can be fetched, the JDK runs openjdk-17's tests, and says so.
choose_sources() {
  local choice=$cache/choice-$1-$2 note
  [[ -s $choice && -d $(head -1 "$choice") ]] && return
  update_lists
  if fetch_tree "$1" "$2"; then
    note="openjdk-$1 $tree_version"
    [[ ${tree_version%-*} == "$2" ]] || note+=" (no openjdk-$1 source package of $2 could be fetched)"
  elif [[ $1 != 17 ]] && fetch_tree 17 ""; then
    note="openjdk-17 $tree_version (no openjdk-$1 sources could be fetched from the registry: 17's tests on JDK $1)"
  else
    die "no version of Debian's openjdk-$1 source package could be fetched (see $cache/download-openjdk-$1.log)"
  fi
  printf '%s\n%s\n' "$tree/test/jdk" "$note" >"$choice"
}

# natives TESTROOT JAVA_HOME DIR: the tests' own JNI libraries (test/jdk/**/libX.c -> libX.so, what the JDK's
# build makes for its test image), compiled against the JDK under test, for @run main/native.
natives() {
  local c
  mkdir -p "$3"
  for d in "${dirs[@]}"; do
    find "$1/$d" -name 'lib*.c'
  done | sort -u | while read -r c; do
    gcc -shared -fPIC -O1 -w -I"$2/include" -I"$2/include/linux" -o "$3/$(basename "${c%.c}").so" "$c" -lpthread ||
      die "could not compile the test library $c"
  done
}

# --- one pass ----------------------------------------------------------------------------------------------
# run_pass JAVA_HOME TESTROOT OUT NATIVES CONC JAVAOPTION TEST...: jtreg in agentvm mode in a fresh network
# namespace; JAVAOPTION empty for the run without the agent.
# -javaoptions reaches every JVM that runs a test (the reused agent VMs and each @run .../othervm) and not
# javac; tests that start further JVMs pass it on through test.java.opts, as the JDK's own CI does.
run_pass() {
  local args=(-agentvm -conc:"$5" -timeoutFactor:4 -retain:fail,error -jdk:"$1" -dir:"$2" -nativepath:"$4"
    -w:"$3/work" -r:"$3/report")
  [[ -n $6 ]] && args+=("-javaoptions:$6")
  mkdir -p "$3"
  unshare -n bash -c 'ip link set lo up && exec "$@"' jtreg jtreg "${args[@]}" "${@:7}" >"$3/console.log" 2>&1 || true
  [[ -s $3/report/text/summary.txt ]] || die "jtreg wrote no results; its output: $3/console.log"
}
passed() { awk '$2 == "Passed." {print $1}' "$1/report/text/summary.txt" | sort; }
# reason OUT TEST: the result line of the test's .jtr, and the frame of a JVM crash when there was one. A test
# id Foo.java#id1 (one of several @test blocks in a file) has its result in Foo_id1.jtr.
reason() {
  local base=${2%%#*} id= jtr
  [[ $2 == *#* ]] && id=_${2#*#}
  jtr=$1/work/${base%.*}$id.jtr
  grep -m1 '^test result: ' "$jtr" 2>/dev/null | sed 's/^test result: //; s/^\(.\{200\}\).*/\1 .../' || echo "(no .jtr)"
  grep -A1 -m1 '^# Problematic frame:' "$jtr" 2>/dev/null | tail -1 | sed 's/^# */  JVM crash, problematic frame: /' || true
}
# agent_missing OUT: the tests in which a JVM that ran the test has no "attached to pid" line from the agent,
# looked up in the test's .jtr (othervm) and in jtreg's agent VM trace (agentvm: printed at the VM's start).
agent_missing() {
  local attached
  attached=$({ cat "$1"/work/jtData/agent*.trace 2>/dev/null || true; find "$1/work" -name '*.jtr' -exec cat {} +; } |
    sed -n 's/.*fourtuple INFO .* attached to pid \([0-9]*\) .*/\1/p' | sort -u | tr '\n' ' ')
  find "$1/work" -name '*.jtr' -print0 | xargs -0 -r awk -v attached=" $attached" '
    FNR == 1 {section = ""}
    /^#section:/ {section = substr($0, 10)}
    /^Process id: / && section ~ /^(main|testng|junit|driver)$/ {
      total++
      if (index(attached, " " $3 " ") == 0) missing[FILENAME] = 1
    }
    END {for (f in missing) print f; print "total " total + 0 > "/dev/stderr"}'
}

# --- the runs ----------------------------------------------------------------------------------------------
out=${keep:-$(mktemp -d /tmp/fourtuple-conformance.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[[ -n $keep ]] || trap 'rm -rf "$out"' EXIT
table=$out/result.txt
: >"$table"
say() { echo "$*" | tee -a "$table"; }

echo "conformance.sh: agent $javaagent; test directories: ${dirs[*]}"
differing_jdks=0
rows=()
for home in "${jdks[@]}"; do
  release=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$home/release" 2>/dev/null || true)
  [[ -n $release ]] || release=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.runtime.version = //p')
  upstream=${release%%-*} # 17.0.15+6-Debian-1deb12u1 -> 17.0.15+6, the upstream part of a Debian version
  major=${upstream%%[.+]*}
  choose_sources "$major" "$upstream"
  testroot=$(sed -n 1p "$cache/choice-$major-$upstream")
  sources=$(sed -n 2p "$cache/choice-$major-$upstream")
  run=$out/jdk-$major
  echo "conformance.sh: JDK $release ($home), test sources $sources: without the agent, then with it"
  start=$SECONDS
  for d in "${dirs[@]}"; do
    [[ -e $testroot/$d ]] || die "--dir: no $d in $testroot"
  done
  natives "$testroot" "$home" "$run/natives"
  # jdks.sh's sid builds run on a private glibc through their patched launcher, but their jspawnhelper
  # (how ProcessBuilder starts a child on 12+) is not patched and cannot run, so every test that starts a
  # process would fail with and without the agent; VFORK starts children without it.
  without= with=$javaagent
  helper=$("$home/lib/jspawnhelper" 2>&1 </dev/null || true)
  if [[ -x $home/lib/jspawnhelper && $helper != *"not for general use"* ]]; then
    echo "conformance.sh: $home/lib/jspawnhelper cannot run here (${helper%%$'\n'*}): both passes use -Djdk.lang.Process.launchMechanism=VFORK"
    without=-Djdk.lang.Process.launchMechanism=VFORK with="$without $javaagent"
  fi
  run_pass "$home" "$testroot" "$run/without" "$run/natives" "$conc" "$without" "${dirs[@]}"
  run_pass "$home" "$testroot" "$run/with" "$run/natives" "$conc" "$with" "${dirs[@]}"
  passed "$run/without" >"$run/passed-without"
  passed "$run/with" >"$run/passed-with"
  differing=$(sort -u <(comm -3 "$run/passed-without" "$run/passed-with" | tr -d '\t'))
  # A difference counts when it shows again in a second run of just those tests, one at a time, without
  # and with the agent: a test that a busy machine fails once (they test timeouts and races) is reported
  # but does not fail the run; what the agent changes shows every time.
  if [[ -n $differing ]]; then
    echo "conformance.sh: $(grep -c . <<<"$differing") test(s) differ; running them again, without and with the agent"
    mapfile -t again <<<"$differing"
    run_pass "$home" "$testroot" "$run/again-without" "$run/natives" 1 "$without" "${again[@]}"
    run_pass "$home" "$testroot" "$run/again-with" "$run/natives" 1 "$with" "${again[@]}"
  fi
  seconds=$((SECONDS - start))

  total=$(wc -l <"$run/without/report/text/summary.txt")
  npass_without=$(wc -l <"$run/passed-without")
  npass_with=$(wc -l <"$run/passed-with")
  missing=$(agent_missing "$run/with" 2>"$run/agent-jvms")
  jvms=$(awk '{n += $2} END {print n + 0}' "$run/agent-jvms")
  confirmed=0
  say ""
  say "JDK $release ($home)"
  say "  test sources: $sources"
  say "  tests: $total; passed without the agent: $npass_without; passed with it: $npass_with"
  say "  test actions run with the agent (main, testng, junit, driver): $jvms; tests with one in a JVM without the agent's start line: $(grep -c . <<<"$missing" || true)"
  for t in $differing; do
    if grep -qxF "$t" "$run/passed-without"; then
      was="passes without the agent, fails with it: $(reason "$run/with" "$t")"
      grep -qxF "$t" <(passed "$run/again-without") && ! grep -qxF "$t" <(passed "$run/again-with") && again=yes || again=no
    else
      was="fails without the agent ($(reason "$run/without" "$t")), passes with it"
      ! grep -qxF "$t" <(passed "$run/again-without") && grep -qxF "$t" <(passed "$run/again-with") && again=yes || again=no
    fi
    if [[ $again == yes ]]; then
      confirmed=$((confirmed + 1))
      say "  DIFFERS  $t: $was"
    else
      say "  differed once, not again (not counted): $t: $was"
    fi
  done
  for f in $missing; do
    say "  NO AGENT in a JVM of ${f#"$run/with/work/"}"
  done
  for t in $(awk '$2 != "Passed." {print $1}' "$run/without/report/text/summary.txt"); do
    grep -qxF "$t" <<<"$differing" && continue
    say "  fails without the agent here (not counted): $t: $(reason "$run/without" "$t")"
  done
  if ((confirmed)) || [[ -n $missing ]]; then differing_jdks=$((differing_jdks + 1)); fi
  rows+=("$(printf '%-12s %-32s %5s %12s %9s %6s %7s' "$upstream" "${sources%% (*}" "$total" "$npass_without" \
    "$npass_with" "$confirmed" "$((seconds / 60))m$((seconds % 60))s")")
done

say ""
say "$(printf '%-12s %-32s %5s %12s %9s %6s %7s' JDK 'test sources' tests 'pass without' 'pass with' differ time)"
for r in "${rows[@]}"; do say "$r"; done
[[ -n $keep ]] && echo "conformance.sh: jtreg's work and reports are in $out"
if ((differing_jdks)); then
  say "conformance.sh: FAILED: the agent changes which tests pass on $differing_jdks JDK(s) (lines marked DIFFERS / NO AGENT above)"
  exit 1
fi
say "conformance.sh: passed: with the agent the same tests pass as without it on every JDK"
