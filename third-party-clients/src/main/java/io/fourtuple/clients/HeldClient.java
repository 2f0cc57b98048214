package io.fourtuple.clients;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One third-party client library, driven only through its public API and its own local-address
 * setting. Each {@link #open} makes one connection to {@code destination} from {@code source} (port
 * 0: the kernel picks the port, as the library's users would have it) and keeps it busy until
 * {@link Held#finish} is called, so the kernel's socket table shows every connection the library
 * managed to hold at once.
 */
interface HeldClient extends AutoCloseable {
  /** Maven coordinates of the library, {@code group:artifact}. */
  String library();

  /** The library's version, read from the jar that was loaded. */
  String version();

  /** The library's own setting that pins the source address. */
  String setting();

  /**
   * Extra {@code key=value} facts for the RESULT line (transport in use, Netty version); may be
   * empty.
   */
  default String facts() {
    return "";
  }

  /**
   * Opens one connection and leaves it held (a response body unread, a JDBC connection open, a
   * channel connected). Throws what the library threw when the connection could not be made.
   */
  Held open(InetSocketAddress destination, InetAddress source) throws Exception;

  @Override
  default void close() throws IOException {}

  /** A connection the library holds. */
  interface Held {
    /**
     * Completes the request on the held connection and checks its result (body length and CRC,
     * query answer, RPC status); returns null when correct, otherwise what was wrong. Releases the
     * connection.
     */
    String finish() throws Exception;
  }
}
