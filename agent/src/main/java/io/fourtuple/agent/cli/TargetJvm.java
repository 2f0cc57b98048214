package io.fourtuple.agent.cli;

import io.fourtuple.agent.platform.ProcessId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code /proc} says about a process before anything is sent to it: does it exist, whose is
 * it, is it a JVM, which JDK, does it refuse attach, does it carry the fourtuple jar. These checks
 * run first so that a wrong pid never receives the attach handshake: HotSpot's handshake is a
 * {@code SIGQUIT}, which kills a process that is not a JVM and makes a JVM with {@code
 * -XX:+DisableAttachMechanism} print a thread dump.
 */
final class TargetJvm {
  final int pid;
  final int uid;
  final String command;
  final List<String> arguments;
  final String javaHome;
  final String javaVersion;
  final boolean carriesFourtuple;

  private TargetJvm(
      int pid,
      int uid,
      String command,
      List<String> arguments,
      String javaHome,
      String javaVersion,
      boolean carriesFourtuple) {
    this.pid = pid;
    this.uid = uid;
    this.command = command;
    this.arguments = arguments;
    this.javaHome = javaHome;
    this.javaVersion = javaVersion;
    this.carriesFourtuple = carriesFourtuple;
  }

  /** Parses a pid argument: digits only, positive. */
  static int parsePid(String text) throws CliException {
    if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) <= 0) {
      throw new CliException(Cli.USAGE, "'" + text + "' is not a process id (a positive number)");
    }
    return Integer.parseInt(text);
  }

  /**
   * Inspects {@code pid}.
   *
   * @throws CliException when it is gone, another user's, or not a JVM
   */
  static TargetJvm inspect(int pid) throws CliException {
    Path proc = Paths.get("/proc/" + pid);
    if (!Files.isDirectory(proc)) {
      throw new CliException(Cli.CANNOT_ATTACH, "no such process: " + pid);
    }
    int uid = uidOf(proc);
    int mine = uidOf(Paths.get("/proc/self"));
    String comm = firstLine(proc.resolve("comm"));
    if (uid != mine && mine != 0) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "process "
              + pid
              + " ("
              + comm
              + ") belongs to uid "
              + uid
              + ", this command runs as uid "
              + mine
              + ": the JVM accepts attach only from its own user; run the command as that user"
              + " (e.g. sudo -u '#"
              + uid
              + "' java -jar fourtuple-agent.jar ...)");
    }
    String maps;
    try {
      maps = new String(Files.readAllBytes(proc.resolve("maps")), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new CliException(
          Cli.CANNOT_ATTACH, "cannot read /proc/" + pid + "/maps to check that it is a JVM: " + e);
    }
    if (!maps.contains("/libjvm.so")) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "process " + pid + " (" + comm + ") is not a Java virtual machine (no libjvm.so mapped)");
    }
    List<String> args = arguments(proc);
    String home = javaHome(proc);
    return new TargetJvm(
        pid,
        uid,
        comm,
        args,
        home,
        home == null ? "unknown" : javaVersion(proc, home),
        carriesFourtuple(proc));
  }

  /** Every readable JVM on this host (in this pid namespace). */
  static List<TargetJvm> all() {
    List<TargetJvm> out = new ArrayList<TargetJvm>();
    long self = ProcessId.current();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Paths.get("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        int pid = Integer.parseInt(p.getFileName().toString());
        if (pid == self) {
          continue;
        }
        try {
          out.add(inspect(pid));
        } catch (CliException notAJvm) {
          // Not a JVM, gone, or not ours to read: not listed.
        }
      }
    } catch (IOException e) {
      return out;
    }
    java.util.Collections.sort(
        out,
        new java.util.Comparator<TargetJvm>() {
          @Override
          public int compare(TargetJvm a, TargetJvm b) {
            return Integer.compare(a.pid, b.pid);
          }
        });
    return out;
  }

  /**
   * The flag that makes attach impossible, if the command line or the standard option variables
   * carry it. ({@code -XX:Flags=} files and {@code @argfiles} are not read: then the attach times
   * out and the message names this flag as a likely cause.)
   */
  String attachDisabledBy() {
    for (String a : arguments) {
      if (a.equals("-XX:+DisableAttachMechanism")) {
        return "its command line";
      }
    }
    try {
      byte[] raw = Files.readAllBytes(Paths.get("/proc/" + pid + "/environ"));
      for (String var : new String(raw, StandardCharsets.UTF_8).split("\0")) {
        if ((var.startsWith("JAVA_TOOL_OPTIONS=")
                || var.startsWith("JDK_JAVA_OPTIONS=")
                || var.startsWith("_JAVA_OPTIONS="))
            && var.contains("-XX:+DisableAttachMechanism")) {
          return "its environment (" + var.substring(0, var.indexOf('=')) + ")";
        }
      }
    } catch (IOException | RuntimeException unreadable) {
      return null;
    }
    return null;
  }

  /** Whether the JVM was started with {@code -XX:+EnableDynamicAgentLoading} (JEP 451). */
  boolean acknowledgesDynamicAgents() {
    for (String a : arguments) {
      if (a.equals("-XX:+EnableDynamicAgentLoading")) {
        return true;
      }
    }
    return false;
  }

  /** The JDK's feature release (8, 11, 17, 21, 25), or 0 if unknown. */
  int feature() {
    String v = javaVersion;
    if (v.startsWith("1.")) {
      v = v.substring(2);
    }
    StringBuilder digits = new StringBuilder();
    for (char c : v.toCharArray()) {
      if (!Character.isDigit(c)) {
        break;
      }
      digits.append(c);
    }
    return digits.length() == 0 ? 0 : Integer.parseInt(digits.toString());
  }

  /** The main class or {@code -jar} file, as {@code jps} would name it. */
  String mainClass() {
    for (int i = 1; i < arguments.size(); i++) {
      String a = arguments.get(i);
      if (a.equals("-jar") || a.equals("-m") || a.equals("--module")) {
        return i + 1 < arguments.size() ? arguments.get(i + 1) : a;
      }
      if (a.equals("-cp")
          || a.equals("-classpath")
          || a.equals("--class-path")
          || a.equals("-p")
          || a.equals("--module-path")
          || a.equals("--add-opens")
          || a.equals("--add-exports")
          || a.equals("--add-modules")) {
        i++;
        continue;
      }
      if (!a.startsWith("-")) {
        return a;
      }
    }
    return command;
  }

  private static List<String> arguments(Path proc) {
    try {
      byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
      String all = new String(raw, StandardCharsets.UTF_8);
      return new ArrayList<String>(Arrays.asList(all.split("\0")));
    } catch (IOException e) {
      return new ArrayList<String>();
    }
  }

  /** JAVA_HOME from the executable, as seen inside the process's own root (containers included). */
  private static String javaHome(Path proc) {
    try {
      Path exe = Files.readSymbolicLink(proc.resolve("exe"));
      Path bin = exe.getParent();
      if (bin == null || bin.getParent() == null) {
        return null;
      }
      Path home = bin.getParent();
      if (home.getFileName() != null
          && home.getFileName().toString().equals("jre")
          && home.getParent() != null) {
        home = home.getParent(); // JDK 8: jdk/jre/bin/java
      }
      return home.toString();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String javaVersion(Path proc, String home) {
    Path release = Paths.get(proc.toString(), "root", home, "release");
    try {
      for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
        if (line.startsWith("JAVA_VERSION=")) {
          return line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  private static boolean carriesFourtuple(Path proc) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          // Cheap name filter first; then the manifest decides (the sample apps' jar is no agent).
          if (target.endsWith(".jar") && target.contains("fourtuple") && isAgentJar(fd)) {
            return true;
          }
        } catch (IOException closed) {
          // gone meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  /**
   * Whether the open file behind {@code fd} is a fourtuple agent jar (read through the fd itself).
   */
  private static boolean isAgentJar(Path fd) {
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(fd.toFile())) {
      java.util.jar.Manifest manifest = jar.getManifest();
      return manifest != null
          && "io.fourtuple.agent.FourtupleAgent"
              .equals(manifest.getMainAttributes().getValue("Agent-Class"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int uidOf(Path path) throws CliException {
    try {
      return (Integer) Files.getAttribute(path, "unix:uid");
    } catch (IOException | RuntimeException e) {
      throw new CliException(Cli.CANNOT_ATTACH, "cannot read the owner of " + path + ": " + e);
    }
  }

  private static String firstLine(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return lines.isEmpty() ? "?" : lines.get(0).trim();
    } catch (IOException e) {
      return "?";
    }
  }
}
