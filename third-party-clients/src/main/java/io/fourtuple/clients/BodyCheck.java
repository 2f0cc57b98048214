package io.fourtuple.clients;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/** Length and CRC-32 of the file the HTTP server serves, to check every body received in full. */
record BodyCheck(long length, long crc) {
  static BodyCheck of(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return of(in);
    }
  }

  static BodyCheck of(InputStream in) throws IOException {
    CRC32 crc = new CRC32();
    byte[] buffer = new byte[64 * 1024];
    long length = 0;
    for (int n; (n = in.read(buffer)) > 0; ) {
      crc.update(buffer, 0, n);
      length += n;
    }
    return new BodyCheck(length, crc.getValue());
  }

  /** Null when {@code received} matches, otherwise what differs. */
  String compare(BodyCheck received) {
    if (equals(received)) {
      return null;
    }
    return String.format(
        "body %d bytes crc %08x, expected %d bytes crc %08x",
        received.length, received.crc, length, crc);
  }
}
