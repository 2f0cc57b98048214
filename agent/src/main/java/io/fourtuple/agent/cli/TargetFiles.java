package io.fourtuple.agent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * Files the target JVM must open, seen from its own mount namespace. In a container the JVM
 * resolves the agent jar path and the reply path inside its own file system, which this process
 * reaches through {@code /proc/<pid>/root}. When the target sees the same {@code /tmp} and the same
 * jar as this process (no container), nothing is translated.
 *
 * <p>Hazard: a jar copied into the target's {@code /tmp} stays there on purpose: the JVM keeps it
 * open on its class path, and later commands load the same path again.
 */
final class TargetFiles {
  private final Path root;
  private final boolean ownTmp;

  private TargetFiles(Path root, boolean ownTmp) {
    this.root = root;
    this.ownTmp = ownTmp;
  }

  static TargetFiles of(int pid) {
    Path root = Paths.get("/proc/" + pid + "/root");
    return new TargetFiles(root, !sameFile(root.resolve("tmp"), Paths.get("/tmp")));
  }

  /** A fresh private directory the target can write to (in its own /tmp, in a container). */
  Path createTempDirectory() throws IOException {
    return ownTmp
        ? Files.createTempDirectory(root.resolve("tmp"), "fourtuple-cli-")
        : Files.createTempDirectory("fourtuple-cli-");
  }

  /** The path the target uses for {@code local}, a path this process uses. */
  String asTargetSees(Path local) {
    String text = local.toString();
    String prefix = root.toString();
    return text.startsWith(prefix + "/") ? text.substring(prefix.length()) : text;
  }

  /**
   * The agent jar path to hand to the target: {@code jar} itself when the target sees that very
   * file, otherwise a copy in the target's {@code /tmp} (made once per version and size).
   */
  String agentJar(String jar) throws CliException {
    Path local = Paths.get(jar);
    Path seen = Paths.get(root.toString(), jar);
    if (sameFile(seen, local)) {
      return jar;
    }
    try {
      String name = "fourtuple-agent-" + Files.size(local) + ".jar";
      Path copy = root.resolve("tmp").resolve(name);
      if (!Files.exists(copy) || Files.size(copy) != Files.size(local)) {
        Path partial = root.resolve("tmp").resolve(name + ".partial");
        Files.copy(local, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(
            partial, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      return "/tmp/" + name;
    } catch (IOException e) {
      throw new CliException(
          Cli.FAILED,
          "the target does not see "
              + jar
              + " (another mount namespace) and copying it to its /tmp failed: "
              + e);
    }
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
