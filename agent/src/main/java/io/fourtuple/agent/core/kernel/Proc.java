package io.fourtuple.agent.core.kernel;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one reader of small {@code /proc} files (sysctls, {@code comm}, {@code status}, {@code
 * cmdline}, {@code environ}), of this process and of others.
 *
 * <p>Hazards: {@code /proc} files report size 0, so they are read to their end, never by size. A
 * plain {@code FileInputStream}, because {@code Files.newBufferedReader} loads {@code
 * sun.nio.ch.SocketChannelImpl} on JDK 25 (through {@code sun.nio.ch.Streams}) before the weaver is
 * installed, which then costs a retransformation at start.
 */
public final class Proc {
  private Proc() {}

  /** The whole of {@code path} as UTF-8; null when it is absent or unreadable. */
  public static String read(String path) {
    try (InputStream in = new FileInputStream(path)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      // By name: StandardCharsets.UTF_8 would initialize every standard charset (6 classes).
      return out.toString("UTF-8");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The first line of {@code path}, trimmed; null when it is absent, unreadable or empty. */
  public static String firstLine(String path) {
    String text = read(path);
    if (text == null || text.isEmpty()) {
      return null;
    }
    int newline = text.indexOf('\n');
    return (newline < 0 ? text : text.substring(0, newline)).trim();
  }

  /**
   * The rest of the first line of {@code path} that starts with {@code key} ({@code SigCgt:} of a
   * {@code status} file), trimmed; null when there is none or the file cannot be read.
   */
  public static String lineAfter(String path, String key) {
    String text = read(path);
    for (String line : text == null ? new String[0] : text.split("\n")) {
      if (line.startsWith(key)) {
        return line.substring(key.length()).trim();
      }
    }
    return null;
  }

  /** A file of NUL-terminated strings ({@code cmdline}, {@code environ}); empty when unreadable. */
  public static List<String> nulSeparated(String path) {
    String text = read(path);
    return text == null
        ? new ArrayList<String>()
        : new ArrayList<String>(Arrays.asList(text.split("\0")));
  }
}
