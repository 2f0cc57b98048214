ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="40000 40039"
J=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
$J --add-opens java.base/sun.nio.ch=ALL-UNNAMED Range.java 2>&1 | grep "^E"
echo "-- preferIPv4Stack=true (AF_INET sockets)"; $J -Djava.net.preferIPv4Stack=true --add-opens java.base/sun.nio.ch=ALL-UNNAMED Range.java 2>&1 | grep "^A\|^B"
strace -f -qq -e trace=setsockopt -o st.txt $J --add-opens java.base/sun.nio.ch=ALL-UNNAMED Range.java >/dev/null 2>&1; grep "SOL_IP, 0x33\|SOL_IP, 51\|IP_LOCAL_PORT_RANGE" st.txt | head -3
