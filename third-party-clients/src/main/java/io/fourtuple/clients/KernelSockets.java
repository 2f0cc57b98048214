package io.fourtuple.clients;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

/**
 * Counts ESTABLISHED TCP connections in this process's network namespace from {@code /proc/net/tcp}
 * and {@code /proc/net/tcp6}, the kernel's own tables: what a library says it holds does not count,
 * only what the kernel has. The JDK and Netty open IPv6 sockets by default, so IPv4 connections
 * usually sit in tcp6 with IPv4-mapped addresses.
 */
final class KernelSockets {
  private static final String ESTABLISHED = "01";

  private KernelSockets() {}

  /** Connections from {@code source} (any port) to {@code destination} that are ESTABLISHED. */
  static int established(InetAddress source, InetSocketAddress destination) throws IOException {
    int count = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path path = Paths.get(table);
      if (!Files.exists(path)) {
        continue;
      }
      List<String> lines = Files.readAllLines(path);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals(ESTABLISHED)
            && port(f[2]) == destination.getPort()
            && address(f[2]).equals(destination.getAddress())
            && address(f[1]).equals(source)) {
          count++;
        }
      }
    }
    return count;
  }

  private static int port(String hexAddressAndPort) {
    return Integer.parseInt(hexAddressAndPort.substring(hexAddressAndPort.indexOf(':') + 1), 16);
  }

  /**
   * An address as the tables write it: 32-bit words, each in host (little-endian) order. An
   * IPv4-mapped IPv6 address comes back as the IPv4 address ({@link InetAddress#getByAddress} does
   * that).
   */
  private static InetAddress address(String hexAddressAndPort) throws IOException {
    String hex = hexAddressAndPort.substring(0, hexAddressAndPort.indexOf(':'));
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int i = 0; i < 4; i++) {
        int at = (word * 4 + 3 - i) * 2;
        bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    return InetAddress.getByAddress(Arrays.copyOf(bytes, bytes.length));
  }
}
