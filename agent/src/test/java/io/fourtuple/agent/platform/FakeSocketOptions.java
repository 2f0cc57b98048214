package io.fourtuple.agent.platform;

import java.io.FileDescriptor;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A {@link SocketOptions} for unit tests: records every descriptor it is asked to change and throws
 * the queued failures, one per call, in order.
 */
public final class FakeSocketOptions implements SocketOptions {
  private final boolean available;
  private final Deque<IOException> failures = new ArrayDeque<>();

  /** Every descriptor passed to {@link #setBindAddressNoPort}, successful or not. */
  public final List<FileDescriptor> attempts = new ArrayList<>();

  /** The descriptors the option was set on. */
  public final List<FileDescriptor> applied = new ArrayList<>();

  /** Every IP_LOCAL_PORT_RANGE value set, and the descriptors it was set on. */
  public final List<Integer> ranges = new ArrayList<>();

  public final List<FileDescriptor> ranged = new ArrayList<>();

  /** The descriptor every Netty socket reads as; null: the real lookup (none for stand-ins). */
  public FileDescriptor nettyFd;

  @Override
  public FileDescriptor nettyDescriptor(Object nettySocket) {
    return nettyFd != null ? nettyFd : SocketOptions.super.nettyDescriptor(nettySocket);
  }

  /** What the probe's read-back returns; null: the value set. */
  public Integer kept;

  private FakeSocketOptions(boolean available) {
    this.available = available;
  }

  public static FakeSocketOptions available() {
    return new FakeSocketOptions(true);
  }

  public static FakeSocketOptions unavailable() {
    return new FakeSocketOptions(false);
  }

  /** The next call throws {@code failure}; calls after the queue is empty succeed. */
  public FakeSocketOptions failNextWith(IOException failure) {
    failures.add(failure);
    return this;
  }

  @Override
  public boolean isAvailable() {
    return available;
  }

  @Override
  public String unavailabilityCause() {
    return available ? null : "fake: unavailable";
  }

  @Override
  public String mechanism() {
    return "fake";
  }

  @Override
  public void setBindAddressNoPort(FileDescriptor fd) throws IOException {
    attempts.add(fd);
    IOException failure = failures.poll();
    if (failure != null) {
      throw failure;
    }
    applied.add(fd);
  }

  @Override
  public void setLocalPortRange(FileDescriptor fd, int value) throws IOException {
    IOException failure = failures.poll();
    if (failure != null) {
      throw failure;
    }
    ranged.add(fd);
    ranges.add(value);
  }

  @Override
  public int probeLocalPortRange(int value) throws IOException {
    setLocalPortRange(new FileDescriptor(), value);
    return kept != null ? kept : value;
  }
}
