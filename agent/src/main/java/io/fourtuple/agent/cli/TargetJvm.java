package io.fourtuple.agent.cli;

import io.fourtuple.agent.core.kernel.Proc;
import io.fourtuple.agent.core.report.OutputFiles;
import io.fourtuple.agent.platform.ProcessId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /proc} says about a process before anything is sent to it: does it exist, whose is
 * it, is it a JVM, which JDK, does it refuse attach, does it carry the fourtuple jar. These checks
 * run first so that a wrong pid never receives the attach handshake: HotSpot's handshake is a
 * {@code SIGQUIT}, which kills a process that is not a JVM and makes a JVM with {@code
 * -XX:+DisableAttachMechanism} print a thread dump.
 */
final class TargetJvm {
  private static final Pattern FEATURE = Pattern.compile("^(?:1\\.)?([0-9]+)");

  /** Launcher options whose value follows as the next argument. */
  private static final List<String> OPTIONS_WITH_VALUE =
      Arrays.asList(
          "-cp",
          "-classpath",
          "--class-path",
          "-p",
          "--module-path",
          "--add-opens",
          "--add-exports",
          "--add-modules");

  final int pid;

  /** Its pid in its own pid namespace (a container's), which names its attach files. */
  final int nsPid;

  final int uid;
  final int gid;
  final String command;
  final List<String> arguments;
  final String javaHome;
  final String javaVersion;

  /**
   * The fourtuple agent jar the JVM holds open, as its own {@code /proc/<pid>/fd} link reads (the
   * path in its file system, with " (deleted)" when that name is gone), or null.
   */
  final String heldJar;

  /** {@code /proc/<pid>/fd/<n>} of {@link #heldJar}: the open file itself. */
  final Path heldJarDescriptor;

  final boolean carriesFourtuple;

  private TargetJvm(
      int pid,
      int nsPid,
      int uid,
      int gid,
      String command,
      List<String> arguments,
      String javaHome,
      String javaVersion,
      Path heldJarDescriptor,
      String heldJar) {
    this.pid = pid;
    this.nsPid = nsPid;
    this.uid = uid;
    this.gid = gid;
    this.command = command;
    this.arguments = arguments;
    this.javaHome = javaHome;
    this.javaVersion = javaVersion;
    this.heldJarDescriptor = heldJarDescriptor;
    this.heldJar = heldJar;
    this.carriesFourtuple = heldJar != null;
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
    return inspect(pid, false);
  }

  /**
   * Inspects {@code pid}; with {@code thorough}, every jar the process holds open is a candidate
   * for the fourtuple agent jar (its manifest decides), not only those named like it: a command
   * must find the jar the agent runs from wherever it lies and whatever it is called.
   *
   * @throws CliException when it is gone, another user's, or not a JVM
   */
  static TargetJvm inspect(int pid, boolean thorough) throws CliException {
    Path proc = Paths.get("/proc/" + pid);
    if (!Files.isDirectory(proc)) {
      throw new CliException(Cli.CANNOT_ATTACH, "no such process: " + pid);
    }
    int uid = idOf(proc, "uid");
    int mine = OutputFiles.ownUid();
    String comm = Proc.firstLine(proc + "/comm");
    comm = comm == null ? "?" : comm;
    if (uid != mine && mine != 0) {
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "process %s (%s) belongs to uid %s, this command runs as uid %s: the JVM accepts attach"
              + " only from its own user; run the command as that user (e.g. sudo -u '#%s' java"
              + " -jar fourtuple-agent.jar ...)",
          pid,
          comm,
          uid,
          mine,
          uid);
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
    List<String> args = Proc.nulSeparated(proc + "/cmdline");
    String home = javaHome(proc);
    Path held = heldAgentJar(proc, thorough);
    String heldText = null;
    if (held != null) {
      try {
        heldText = Files.readSymbolicLink(held).toString();
      } catch (IOException closedMeanwhile) {
        held = null;
      }
    }
    return new TargetJvm(
        pid,
        nsPid(proc, pid),
        uid,
        idOf(proc, "gid"),
        comm,
        args,
        home,
        home == null ? "unknown" : javaVersion(proc, home),
        held,
        heldText);
  }

  /**
   * Why this command cannot attach to the JVM at all, from what {@code /proc} shows, or null. Each
   * of these is decided here because the attach handshake would otherwise reach the JVM: as a
   * {@code SIGQUIT}, which makes a JVM that will not answer print a thread dump.
   */
  String attachRefusal() {
    String disabledBy = lastSetting("DisableAttachMechanism", "+");
    if (disabledBy != null) {
      return String.format(
          "JVM %s runs with -XX:+DisableAttachMechanism (from %s): it accepts no attach; restart it"
              + " without that flag, or load fourtuple with -javaagent",
          pid, disabledBy);
    }
    if (feature() == 8 && OutputFiles.ownUid() == 0 && uid != 0) {
      return String.format(
          "JVM %s runs JDK 8 as uid %s: a JDK 8 JVM accepts attach from its own user only, not from"
              + " root (JDK 9 and later accept root); run the command as that user (e.g. sudo -u"
              + " '#%s' java -jar fourtuple-agent.jar ...)",
          pid, uid, uid);
    }
    if (nsPid != pid && System.getProperty("java.specification.version", "").startsWith("1.")) {
      return String.format(
          "JVM %s runs in another pid namespace (a container; pid %s inside), which the attach"
              + " client of JDK 8 cannot reach; run this command with JDK 9 or later",
          pid, nsPid);
    }
    return null;
  }

  /** Why the JVM will refuse to load an agent at run time (JEP 451), or null. */
  String dynamicLoadingRefusal() {
    String disabledBy = lastSetting("EnableDynamicAgentLoading", "-");
    if (disabledBy == null || feature() == 8) {
      return null;
    }
    return String.format(
        "JVM %s runs with -XX:-EnableDynamicAgentLoading (from %s): it refuses agents loaded at run"
            + " time; load fourtuple at start with -javaagent instead",
        pid, disabledBy);
  }

  /**
   * Where the last {@code -XX:<sign|other sign><flag>} the JVM read comes from, when its sign is
   * {@code sign}; null otherwise. HotSpot reads {@code JAVA_TOOL_OPTIONS}, then the launcher's
   * {@code JDK_JAVA_OPTIONS}, then the command line, then {@code _JAVA_OPTIONS}; the last setting
   * wins. ({@code -XX:Flags=} files and {@code @argfiles} are not read.)
   */
  String lastSetting(String flag, String sign) {
    String[] sources = {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", null, "_JAVA_OPTIONS"};
    Map<String, String> environment = environment();
    String lastSign = null;
    String lastSource = null;
    for (String source : sources) {
      List<String> options;
      if (source == null) {
        options = arguments;
      } else {
        String value = environment.get(source);
        options =
            value == null ? new ArrayList<String>() : Arrays.asList(value.trim().split("\\s+"));
      }
      for (String option : options) {
        if (option.equals("-XX:+" + flag) || option.equals("-XX:-" + flag)) {
          lastSign = option.substring(4, 5);
          lastSource = source == null ? "its command line" : "its environment (" + source + ")";
        }
      }
    }
    return sign.equals(lastSign) ? lastSource : null;
  }

  private Map<String, String> environment() {
    Map<String, String> out = new HashMap<String, String>();
    for (String var : Proc.nulSeparated("/proc/" + pid + "/environ")) {
      int eq = var.indexOf('=');
      if (eq > 0) {
        out.put(var.substring(0, eq), var.substring(eq + 1));
      }
    }
    return out;
  }

  /**
   * Whether the JVM handles {@code SIGQUIT} now: HotSpot does once its signal handlers are in (with
   * {@code -Xrs} it has none, and opens its attach socket at start instead). Without a handler the
   * signal ends the process.
   */
  boolean catchesQuit() {
    String caught = Proc.lineAfter("/proc/" + pid + "/status", "SigCgt:");
    if (caught == null) {
      return false;
    }
    try {
      return (Long.parseLong(caught, 16) & (1L << (3 - 1))) != 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Every readable JVM on this host (in this pid namespace). */
  static List<TargetJvm> all() {
    return all(null);
  }

  /**
   * Every readable JVM on this host (in this pid namespace); a process that looks like a JVM by its
   * command line but cannot be inspected (another user's) goes to {@code unreadable}, if given.
   */
  static List<TargetJvm> all(List<Unusable> unreadable) {
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
          if (unreadable != null) {
            List<String> args = Proc.nulSeparated(p + "/cmdline");
            String launcher = args.isEmpty() ? "" : Paths.get(args.get(0)).getFileName() + "";
            if (launcher.equals("java") && !notAJvm.getMessage().contains("not a Java")) {
              try {
                unreadable.add(
                    new Unusable(
                        pid, idOf(p, "uid"), mainClass(args, launcher), notAJvm.getMessage()));
              } catch (CliException | RuntimeException gone) {
                // exited meanwhile
              }
            }
          }
        }
      }
    } catch (IOException e) {
      return out;
    }
    out.sort((a, b) -> Integer.compare(a.pid, b.pid));
    if (unreadable != null) {
      unreadable.sort((a, b) -> Integer.compare(a.pid, b.pid));
    }
    return out;
  }

  /**
   * A JVM this command cannot use, with why: a process that runs {@code java} but cannot be
   * inspected from here, or one {@code audit --all} could not audit.
   */
  static final class Unusable {
    final int pid;
    final int uid;
    final String main;
    final String reason;

    Unusable(int pid, int uid, String main, String reason) {
      this.pid = pid;
      this.uid = uid;
      this.main = main;
      this.reason = reason;
    }

    Unusable(TargetJvm jvm, String reason) {
      this(jvm.pid, jvm.uid, jvm.mainClass(), reason);
    }
  }

  /** Whether the JVM was started with {@code -XX:+EnableDynamicAgentLoading} (JEP 451). */
  boolean acknowledgesDynamicAgents() {
    return lastSetting("EnableDynamicAgentLoading", "+") != null;
  }

  /** The JDK's feature release (8, 11, 17, 21, 25), or 0 if unknown. */
  int feature() {
    Matcher m = FEATURE.matcher(javaVersion);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** The main class or {@code -jar} file, as {@code jps} would name it. */
  String mainClass() {
    return mainClass(arguments, command);
  }

  private static String mainClass(List<String> arguments, String command) {
    for (int i = 1; i < arguments.size(); i++) {
      String a = arguments.get(i);
      if (a.equals("-jar") || a.equals("-m") || a.equals("--module")) {
        return i + 1 < arguments.size() ? arguments.get(i + 1) : a;
      }
      if (OPTIONS_WITH_VALUE.contains(a)) {
        i++;
        continue;
      }
      if (!a.startsWith("-")) {
        return a;
      }
    }
    return command;
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

  /**
   * From the JDK's {@code release} file; a JDK 8 without one (Debian's packages) is known by its
   * {@code rt.jar}, which JDK 9 replaced with {@code lib/modules}.
   */
  private static String javaVersion(Path proc, String home) {
    Path root = Paths.get(proc.toString(), "root", home);
    String release = Proc.lineAfter(root.resolve("release").toString(), "JAVA_VERSION=");
    if (release != null) {
      return release.replace("\"", "").trim();
    }
    try {
      if (Files.isRegularFile(root.resolve("jre/lib/rt.jar"))
          || Files.isRegularFile(root.resolve("lib/rt.jar"))) {
        return "1.8";
      }
    } catch (RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  /**
   * The descriptor of the fourtuple agent jar the process holds open, or null. Jars named like it
   * are checked first; with {@code thorough}, then every other jar it holds open.
   */
  private static Path heldAgentJar(Path proc, boolean thorough) {
    List<Path> others = new ArrayList<Path>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.contains(".jar")) {
            continue;
          }
          // The manifest decides: the sample apps' jar is named fourtuple too, and is no agent.
          if (target.contains("fourtuple")) {
            if (isAgentJar(fd)) {
              return fd;
            }
          } else if (thorough) {
            others.add(fd);
          }
        } catch (IOException closed) {
          // gone meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    for (Path fd : others) {
      if (isAgentJar(fd)) {
        return fd;
      }
    }
    return null;
  }

  /** The last pid of the {@code NSpid} line: the pid inside the innermost pid namespace. */
  private static int nsPid(Path proc, int pid) {
    String line = Proc.lineAfter(proc + "/status", "NSpid:");
    if (line == null) {
      return pid;
    }
    String[] pids = line.trim().split("\\s+");
    try {
      return Integer.parseInt(pids[pids.length - 1]);
    } catch (NumberFormatException e) {
      return pid;
    }
  }

  /**
   * Whether the open file behind {@code fd} is a fourtuple agent jar (read through the fd itself).
   */
  private static boolean isAgentJar(Path fd) {
    try {
      // Only a regular file is opened: a FIFO the process holds open would block the open.
      if (!Files.readAttributes(fd, java.nio.file.attribute.BasicFileAttributes.class)
          .isRegularFile()) {
        return false;
      }
    } catch (IOException | RuntimeException gone) {
      return false;
    }
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(fd.toFile())) {
      java.util.jar.Manifest manifest = jar.getManifest();
      return manifest != null
          && "io.fourtuple.agent.FourtupleAgent"
              .equals(manifest.getMainAttributes().getValue("Agent-Class"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int idOf(Path path, String id) throws CliException {
    try {
      return (Integer) Files.getAttribute(path, "unix:" + id);
    } catch (IOException | RuntimeException e) {
      throw new CliException(Cli.CANNOT_ATTACH, "cannot read the owner of " + path + ": " + e);
    }
  }
}
