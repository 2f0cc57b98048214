#!/usr/bin/env bash
# What the agent costs on the way to main, in figures that do not depend on the machine's load (see
# docs/performance.md, "what still runs before main"): for a program whose main opens no socket, without
# the agent, with an empty agent (the JVM's own price for any -javaagent) and with each agent jar given:
#
#   - classes loaded by the main thread before main (-Xlog:class+load with thread ids, JDK 9+),
#   - of them, classes spun by java.lang.invoke (LambdaForm$*, $$Lambda: generated, then compiled),
#   - CPU time of every thread at main's entry, from /proc/self/task/*/schedstat: all, main, JIT, the
#     agent's fourtuple-start thread (a separate run without -Xlog).
#
# Medians of --runs interleaved runs. Timings of benchmarks/run.sh startup need an idle machine; these
# do not (under load every configuration's CPU figure grows about alike: compare columns).
#
#   benchmarks/startup-proxies.sh [--jdks HOME[,HOME...]] [--runs N] [--agents JAR[,JAR...]]
#
# Defaults: JDK 17 and 25, 9 runs, agent/target/fourtuple-agent.jar (build it first). Needs Linux.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jdks="/usr/lib/jvm/java-17-openjdk-amd64,/usr/lib/jvm/temurin-25-jdk-amd64"
runs=9
agents="$root/agent/target/fourtuple-agent.jar"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jdks) jdks="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --agents) agents="$2"; shift 2 ;;
    *) echo "usage: $0 [--jdks HOME[,HOME...]] [--runs N] [--agents JAR[,JAR...]]" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a jdk_list <<< "$jdks"
IFS=, read -r -a agent_list <<< "$agents"
for jar in "${agent_list[@]}"; do
  [[ -f "$jar" ]] || { echo "no agent jar $jar (build it: mvn -B -q -DskipTests package -pl agent)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
javac="${jdk_list[0]}/bin/javac"

# The program: main reports the CPU time of each thread group, then returns.
cat > "$work/Probe.java" <<'JAVA'
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

public class Probe {
  public static void main(String[] args) {
    long all = 0, main = 0, jit = 0, start = 0;
    File[] tasks = new File("/proc/self/task").listFiles();
    for (File task : tasks == null ? new File[0] : tasks) {
      long ns;
      String name;
      try {
        ns = Long.parseLong(read(new File(task, "schedstat")).split(" ")[0]);
        name = read(new File(task, "comm"));
      } catch (IOException | RuntimeException gone) {
        continue; // the thread ended meanwhile
      }
      all += ns;
      if (name.equals("java")) {
        main += ns;
      } else if (name.startsWith("C1 ") || name.startsWith("C2 ")) {
        jit += ns;
      } else if (name.equals("fourtuple-start")) {
        start += ns;
      }
    }
    System.out.println("cpu " + all / 1000 + " " + main / 1000 + " " + jit / 1000 + " " + start / 1000);
  }

  private static String read(File file) throws IOException {
    return new String(Files.readAllBytes(file.toPath()), "US-ASCII").trim();
  }
}
JAVA
"$javac" -nowarn --release 8 -d "$work" "$work/Probe.java" 2>/dev/null

# An agent whose premain does nothing.
mkdir -p "$work/empty"
cat > "$work/empty/EmptyAgent.java" <<'JAVA'
public class EmptyAgent {
  public static void premain(String args, java.lang.instrument.Instrumentation instrumentation) {}
}
JAVA
"$javac" -nowarn --release 8 -d "$work/empty" "$work/empty/EmptyAgent.java" 2>/dev/null
printf 'Premain-Class: EmptyAgent\n' > "$work/empty/manifest.txt"
"${jdk_list[0]}/bin/jar" cfm "$work/empty.jar" "$work/empty/manifest.txt" -C "$work/empty" EmptyAgent.class

configs=(none "$work/empty.jar" "${agent_list[@]}")
label() {
  case "$1" in none) echo "no agent" ;; "$work/empty.jar") echo "empty agent" ;; *) echo "$1" ;; esac
}

# Classes loaded by the thread that loads Probe, before it, and how many of them were spun.
count_classes() {
  awk '{ match($0, /\]\[[0-9]+\]/); tid[NR] = substr($0, RSTART + 2, RLENGTH - 3); line[NR] = $0 }
       / Probe source: / && !found { found = NR; main = tid[NR] }
       END { for (i = 1; i < found; i++) if (tid[i] == main) {
               n++; if (line[i] ~ /__JVM_LookupDefineClass__|\$\$Lambda/) spun++ }
             print n + 0, spun + 0 }' "$1"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "startup proxies: $runs runs per configuration, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for jdk in "${jdk_list[@]}"; do
  echo "JDK $jdk"
  for i in "${!configs[@]}"; do : > "$work/results.$i"; done
  for ((run = 1; run <= runs; run++)); do
    for i in "${!configs[@]}"; do
      agent=()
      [[ "${configs[$i]}" == none ]] || agent=("-javaagent:${configs[$i]}")
      "$jdk/bin/java" "${agent[@]}" "-Xlog:class+load:file=$work/classes.txt:uptime,tid" -cp "$work" Probe \
        > /dev/null 2>&1
      classes="$(count_classes "$work/classes.txt")"
      cpu="$("$jdk/bin/java" "${agent[@]}" -cp "$work" Probe 2> /dev/null | sed -n 's/^cpu //p')"
      echo "$classes $cpu" >> "$work/results.$i"
    done
  done
  for i in "${!configs[@]}"; do
    f="$work/results.$i"
    printf '  %-40s main-thread classes before main %5s, spun %3s | CPU before main (ms): all %4s, main %4s, JIT %4s, fourtuple-start %3s\n' \
      "$(label "${configs[$i]}")" \
      "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f2 "$f" | median)" \
      "$(($(cut -d' ' -f3 "$f" | median) / 1000))" "$(($(cut -d' ' -f4 "$f" | median) / 1000))" \
      "$(($(cut -d' ' -f5 "$f" | median) / 1000))" "$(($(cut -d' ' -f6 "$f" | median) / 1000))"
  done
done
