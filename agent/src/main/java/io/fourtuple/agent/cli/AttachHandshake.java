package io.fourtuple.agent.cli;

import io.fourtuple.agent.core.report.OutputFiles;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HotSpot's attach handshake, done here rather than by the JDK's attach client: make sure the JVM
 * listens on its attach socket ({@code /tmp/.java_pid<pid>} in its own file system) before the
 * client connects, so the client skips its own handshake.
 *
 * <p>Why: the JDK's client makes its trigger file {@code .attach_pid<pid>} in the JVM's working
 * directory (through {@code /proc/<pid>/cwd}) and afterwards deletes that path
 * <em>canonicalized</em>, that is with every link resolved from the command line's side. A link
 * planted under that name by anyone who can write the JVM's working directory makes a root command
 * line delete the file it points to, anywhere on the host (reproduced with JDK 17's client). This
 * handshake makes the trigger in the JVM's {@code /tmp} instead, which HotSpot also checks,
 * exclusively and through the open directory of {@link TargetFiles}, and never looks in the working
 * directory.
 *
 * <p>The handshake: create {@code .attach_pid<pid>} (owned by the JVM's user, which HotSpot
 * checks), send {@code SIGQUIT}, wait until the socket appears, delete the trigger. The socket must
 * then be a socket owned by the JVM's user, not a link someone planted: the JDK's client connects
 * to whatever the name leads to.
 *
 * <p>Hazards: {@code SIGQUIT} ends a process that does not handle it, so it is sent only to a JVM
 * whose {@code SigCgt} mask shows a handler ({@link TargetJvm#catchesQuit}). A JVM started with
 * {@code -Xrs} has no handler but opens its socket at start, so it needs no signal. The JVM's pid
 * inside its own namespace names the files.
 */
final class AttachHandshake {
  /** As long as the JDK's own client waits ({@code sun.tools.attach.attachTimeout}). */
  private static final long TIMEOUT_MILLIS = 10_000;

  private AttachHandshake() {}

  /**
   * Returns once the JVM listens on its attach socket.
   *
   * @throws CliException in one line when it cannot be made to, or the socket is not its own
   */
  static void ensureListening(TargetJvm target, TargetFiles files) throws CliException {
    OpenDirectory tmp = files.tmp();
    String socket = ".java_pid" + target.nsPid;
    if (checkSocket(target, tmp, socket)) {
      return;
    }
    if (!target.catchesQuit()) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "JVM %s does not handle SIGQUIT (yet: it may still be starting), so its attach listener"
              + " cannot be started, and the signal could end it; nothing was sent",
          target.pid);
    }
    String trigger = ".attach_pid" + target.nsPid;
    makeTrigger(target, tmp, trigger);
    boolean listening = false;
    try {
      signal(target);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
      while (!(listening = checkSocket(target, tmp, socket)) && System.nanoTime() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } finally {
      try {
        tmp.delete(trigger);
      } catch (IOException gone) {
        // HotSpot does not remove it; nobody else may.
      }
    }
    if (!listening) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "JVM %s did not open its attach socket within %s s of the attach signal: it may run"
              + " with -XX:+DisableAttachMechanism (set through a flags file), be stopped, or be"
              + " overloaded%s",
          target.pid,
          TIMEOUT_MILLIS / 1000,
          strayTrigger(target, trigger));
    }
  }

  /** Whether the socket is there; it must then be a socket of the JVM's user. */
  private static boolean checkSocket(TargetJvm target, OpenDirectory tmp, String name)
      throws CliException {
    Map<String, Object> attributes;
    try {
      attributes = tmp.lstat(name);
    } catch (IOException e) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "cannot check " + tmp.shown(name) + " of process " + target.pid + ": " + e.getMessage());
    }
    if (attributes == null) {
      return false;
    }
    OpenDirectory.Kind kind = OpenDirectory.Kind.of(attributes);
    int uid = (Integer) attributes.get("uid");
    if (kind != OpenDirectory.Kind.SOCKET || uid != target.uid) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "%s in the file system of process %s is %s of uid %s, not the attach socket of the JVM"
              + " (a socket of uid %s): someone else made it; fourtuple does not connect through it",
          tmp.shown(name),
          target.pid,
          kind.text,
          uid,
          target.uid);
    }
    return true;
  }

  private static void makeTrigger(TargetJvm target, OpenDirectory tmp, String trigger)
      throws CliException {
    try {
      try (SeekableByteChannel created = tmp.createFile(trigger, "rw-------")) {
        // empty: HotSpot checks only that it exists and whose it is
      }
      if (OutputFiles.ownUid() != target.uid) {
        tmp.chown(trigger, target.uid, target.gid);
      }
    } catch (FileAlreadyExistsException e) {
      Map<String, Object> attributes;
      try {
        attributes = tmp.lstat(trigger);
      } catch (IOException unreadable) {
        attributes = null;
      }
      int uid = attributes == null ? -1 : (Integer) attributes.get("uid");
      if (attributes == null
          || OpenDirectory.Kind.of(attributes) != OpenDirectory.Kind.REGULAR
          || (uid != target.uid && uid != 0)) {
        throw new CliException(
            Cli.CANNOT_ATTACH,
            "%s in the file system of process %s already exists%s and fourtuple did not make it;"
                + " it does not start the attach handshake through it",
            tmp.shown(trigger),
            target.pid,
            attributes == null
                ? ""
                : " (" + OpenDirectory.Kind.of(attributes).text + " of uid " + uid + ")");
      }
      // A trigger left by an earlier attach of the JVM's own user: it serves, and goes afterwards.
    } catch (IOException e) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "cannot start the attach handshake of process %s (creating %s): %s",
          target.pid,
          tmp.shown(trigger),
          e.getMessage());
    }
  }

  /**
   * Sends SIGQUIT: through the JDK attach provider's own native {@code sendQuitTo(int)} (what the
   * JDK's attach client calls; {@code sun.tools.attach} is opened to this jar by its manifest's
   * {@code Add-Opens}), else by running {@code kill -QUIT}. The native needs no process spawn,
   * which fails on a JDK whose {@code jspawnhelper} cannot run.
   */
  private static void signal(TargetJvm target) throws CliException {
    if (sendQuitNatively(target.pid)) {
      return;
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-QUIT", String.valueOf(target.pid))
              .redirectErrorStream(true)
              .start();
      byte[] out = readAll(kill.getInputStream());
      if (kill.waitFor() != 0) {
        throw new CliException(
            Cli.CANNOT_ATTACH,
            "could not signal process %s: %s",
            target.pid,
            new String(out, java.nio.charset.StandardCharsets.UTF_8).trim());
      }
    } catch (IOException e) {
      throw new CliException(
          Cli.CANNOT_ATTACH, "could not signal process " + target.pid + " (kill): " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(Cli.CANNOT_ATTACH, "interrupted while signalling " + target.pid);
    }
  }

  /** A trigger in the JVM's working directory that is not the JVM's user's blocks the handshake. */
  private static String strayTrigger(TargetJvm target, String trigger) {
    try {
      Map<String, Object> attributes =
          Files.readAttributes(
              Paths.get("/proc/" + target.pid + "/cwd/" + trigger),
              "unix:uid",
              LinkOption.NOFOLLOW_LINKS);
      return String.format(
          "; a file %s of uid %s in its working directory, which fourtuple did not make, blocks"
              + " the handshake",
          trigger, attributes.get("uid"));
    } catch (IOException | RuntimeException absent) {
      return "";
    }
  }

  /** True when the attach provider's native sent the signal; false when it is not reachable. */
  static boolean sendQuitNatively(long pid) {
    java.lang.reflect.Method send;
    try {
      Class<?> vm = Class.forName("com.sun.tools.attach.VirtualMachine");
      ClassLoader loader = vm.getClassLoader();
      Class<?> impl;
      try {
        impl = Class.forName("sun.tools.attach.VirtualMachineImpl", false, loader);
      } catch (ClassNotFoundException java8) {
        impl = Class.forName("sun.tools.attach.LinuxVirtualMachine", false, loader);
      }
      send = impl.getDeclaredMethod("sendQuitTo", int.class);
      send.setAccessible(true);
    } catch (Throwable notReachable) {
      return false; // JDK 8 without tools.jar on the class path, or the package not opened
    }
    try {
      send.invoke(null, (int) pid);
      return true;
    } catch (Throwable failed) {
      return false; // the fallback reports what kill says
    }
  }

  private static byte[] readAll(java.io.InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[1024];
    int n;
    while ((n = in.read(buffer)) > 0) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }
}
