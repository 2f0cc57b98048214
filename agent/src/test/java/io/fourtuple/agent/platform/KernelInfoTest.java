package io.fourtuple.agent.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelInfoTest {

  @Test
  void versionComparison() {
    KernelInfo k = KernelInfo.of("Linux", "4.2.0-42-generic", 32768, 60999);
    assertTrue(k.isAtLeast(4, 2));
    assertTrue(k.isAtLeast(4, 1));
    assertTrue(k.isAtLeast(3, 99));
    assertFalse(k.isAtLeast(4, 3));
    assertFalse(k.isAtLeast(5, 0));

    KernelInfo modern = KernelInfo.of("Linux", "6.1.0-18-amd64", 32768, 60999);
    assertTrue(modern.isAtLeast(4, 2));
    assertTrue(modern.isAtLeast(6, 1));
    assertFalse(modern.isAtLeast(6, 3));

    KernelInfo twoDigitMinor = KernelInfo.of("Linux", "4.19.0", 32768, 60999);
    assertTrue(twoDigitMinor.isAtLeast(4, 2));
    assertTrue(twoDigitMinor.isAtLeast(4, 19));
    assertFalse(twoDigitMinor.isAtLeast(4, 20));
  }

  @Test
  void unparseableReleaseIsOlderThanEverything() {
    KernelInfo k = KernelInfo.of("Linux", "unknown", -1, -1);
    assertFalse(k.isAtLeast(0, 0));
    assertFalse(k.isAtLeast(4, 2));
  }

  @Test
  void ephemeralRange() {
    KernelInfo k = KernelInfo.of("Linux", "6.1.0", 32768, 60999);
    assertEquals(28232, k.ephemeralPortCount());
    assertEquals("32768-60999 (28232 ports)", k.describePortRange());

    KernelInfo tiny = KernelInfo.of("Linux", "6.1.0", 60000, 60009);
    assertEquals(10, tiny.ephemeralPortCount());
    assertEquals("60000-60009 (10 ports)", tiny.describePortRange());

    KernelInfo one = KernelInfo.of("Linux", "6.1.0", 40000, 40000);
    assertEquals(1, one.ephemeralPortCount());
  }

  @Test
  void unknownRange() {
    KernelInfo k = KernelInfo.of("Linux", "6.1.0", -1, -1);
    assertEquals(-1, k.ephemeralPortCount());
    assertEquals("unknown", k.describePortRange());
  }

  @Test
  void nonLinux() {
    KernelInfo mac = KernelInfo.of("Mac OS X", "23.1.0", -1, -1);
    assertFalse(mac.isLinux());
    assertEquals("Mac OS X", mac.osName());
    assertEquals("23.1.0", mac.release());
    assertFalse(KernelInfo.of("Windows 11", "10.0", -1, -1).isLinux());
    assertTrue(KernelInfo.of("Linux", "6.1.0", -1, -1).isLinux());
    assertTrue(KernelInfo.of("linux", "6.1.0", -1, -1).isLinux());
  }

  @Test
  void currentReadsThisMachine() throws IOException {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "Linux only");
    KernelInfo k = KernelInfo.current();
    assertTrue(k.isLinux());
    assertNotNull(k.release());
    assertFalse(k.release().isEmpty());
    assertTrue(Character.isDigit(k.release().charAt(0)), k.release());
    assertTrue(k.isAtLeast(2, 6), k.release());

    List<String> osrelease =
        Files.readAllLines(Path.of("/proc/sys/kernel/osrelease"), StandardCharsets.US_ASCII);
    assertEquals(osrelease.get(0).trim(), k.release());

    List<String> range =
        Files.readAllLines(
            Path.of("/proc/sys/net/ipv4/ip_local_port_range"), StandardCharsets.US_ASCII);
    String[] parts = range.get(0).trim().split("\\s+");
    int low = Integer.parseInt(parts[0]);
    int high = Integer.parseInt(parts[1]);
    assertEquals(high - low + 1, k.ephemeralPortCount());
    assertEquals(low + "-" + high + " (" + (high - low + 1) + " ports)", k.describePortRange());
  }
}
