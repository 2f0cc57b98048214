package io.fourtuple.agent.platform;

import java.io.File;
import java.io.IOException;

/**
 * This JVM's process id, from the {@code /proc/self} link: works on JDK 8 (no {@code
 * ProcessHandle}) and loads none of the management classes that {@code RuntimeMXBean.getName()}
 * would.
 */
public final class ProcessId {
  private ProcessId() {}

  /** The process id, or -1 when {@code /proc} cannot tell. */
  public static long current() {
    try {
      // java.io rather than Files.readSymbolicLink: no java.nio.file set-up at start.
      return Long.parseLong(new File("/proc/self").getCanonicalFile().getName());
    } catch (IOException | RuntimeException unknown) {
      return -1;
    }
  }

  /** The process id as text, or {@code unknown}. */
  public static String text() {
    long pid = current();
    return pid < 0 ? "unknown" : Long.toString(pid);
  }
}
