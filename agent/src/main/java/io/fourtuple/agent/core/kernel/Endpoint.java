package io.fourtuple.agent.core.kernel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IP address and port as the kernel table prints them: 4 address bytes for IPv4 (IPv4-mapped
 * IPv6 addresses are folded to IPv4, as the JDK does, so a dual-stack socket and an IPv4 socket to
 * the same destination meet), 16 for IPv6. An immutable value; {@link Probe} is the one mutable
 * form, reused by the table reader to look rows up without allocating.
 */
public class Endpoint {
  byte[] address;
  int length;
  int port;
  int hash;

  Endpoint(byte[] address, int length, int port) {
    this.address = address;
    this.length = length;
    this.port = port;
    this.hash = hash(address, length, port);
  }

  /** The endpoint of a resolved socket address. */
  public static Endpoint of(InetSocketAddress address) {
    byte[] raw = address.getAddress().getAddress();
    return new Endpoint(raw, raw.length, address.getPort());
  }

  /** The endpoint of {@code address} bytes (4 or 16) and a port. */
  public static Endpoint of(byte[] address, int port) {
    byte[] copy = Arrays.copyOf(address, address.length);
    return new Endpoint(copy, copy.length, port);
  }

  public int port() {
    return port;
  }

  public boolean isIpv6() {
    return length == 16;
  }

  /** The address alone, as text: {@code 127.0.0.1} or {@code ::1}. */
  public String host() {
    return address().getHostAddress();
  }

  /** The address as an {@code InetAddress} (no name lookup). */
  public InetAddress address() {
    try {
      return InetAddress.getByAddress(Arrays.copyOf(address, length));
    } catch (UnknownHostException impossible) {
      throw new IllegalStateException("address of length " + length, impossible);
    }
  }

  /** {@code 127.0.0.1:8080} or {@code [::1]:8080}. */
  @Override
  public String toString() {
    return isIpv6() ? "[" + host() + "]:" + port : host() + ":" + port;
  }

  @Override
  public final int hashCode() {
    return hash;
  }

  @Override
  public final boolean equals(Object o) {
    if (!(o instanceof Endpoint)) {
      return false;
    }
    Endpoint other = (Endpoint) o;
    if (other.port != port || other.length != length || other.hash != hash) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (other.address[i] != address[i]) {
        return false;
      }
    }
    return true;
  }

  /** An immutable copy (a {@link Probe} copied before it is kept). */
  public Endpoint copy() {
    return new Endpoint(Arrays.copyOf(address, length), length, port);
  }

  static int hash(byte[] address, int length, int port) {
    int h = port;
    for (int i = 0; i < length; i++) {
      h = 31 * h + address[i];
    }
    return h;
  }

  /** A reusable endpoint for lookups; never stored as a key. */
  static final class Probe extends Endpoint {
    Probe() {
      super(new byte[16], 0, 0);
    }

    Probe set(byte[] from, int length, int port) {
      System.arraycopy(from, 0, address, 0, length);
      this.length = length;
      this.port = port;
      this.hash = hash(address, length, port);
      return this;
    }
  }
}
