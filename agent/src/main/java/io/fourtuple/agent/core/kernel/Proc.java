package io.fourtuple.agent.core.kernel;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The one reader of small {@code /proc} files (sysctls, {@code comm}).
 *
 * <p>Hazards: {@code /proc} files report size 0, so they are read line-wise, never by size ({@code
 * Files.readAllBytes} truncates them). A plain {@code FileInputStream}, because {@code
 * Files.newBufferedReader} loads {@code sun.nio.ch.SocketChannelImpl} on JDK 25 (through {@code
 * sun.nio.ch.Streams}) before the weaver is installed, which then costs a retransformation at
 * start.
 */
public final class Proc {
  private Proc() {}

  /** The first line of {@code path}, trimmed; null when it is absent, unreadable or empty. */
  public static String firstLine(String path) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8))) {
      String line = in.readLine();
      return line == null ? null : line.trim();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
