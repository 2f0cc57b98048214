ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="40000 40039"; echo "netns range: $(cat /proc/sys/net/ipv4/ip_local_port_range)"
for J in /root/.cache/jdks/jdk-8 /root/.cache/jdks/jdk-11 /usr/lib/jvm/java-17-openjdk-amd64 /root/.cache/jdks/jdk-21 /usr/lib/jvm/temurin-25-jdk-amd64; do
  echo "== $($J/bin/java -version 2>&1 | head -1)"
  if [ -x $J/bin/jshell ] || [ -d $J/jmods ] || [ -f $J/lib/modules ] && [ ! -f $J/jre/lib/rt.jar ]; then
    $J/bin/java --add-opens java.base/sun.nio.ch=ALL-UNNAMED Range.java 2>&1
  else mkdir -p c8 && $J/bin/javac -d c8 Range.java 2>&1 | grep -v warning; $J/bin/java -cp c8 Range 2>&1; fi
  ss -tan state time-wait | wc -l > /dev/null
done
