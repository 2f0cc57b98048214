package io.fourtuple.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A container for the sample service, made the way container runtimes make one: its own pid, mount
 * and network namespaces (the JVM is pid 1 inside), a fresh tmpfs {@code /tmp}, the agent's build
 * directory hidden so the JVM cannot see the operator's jar, and what a hostile neighbour planted
 * before the JVM started. Variants: a read-only {@code /tmp}; its own root directory whose {@code
 * /tmp} is a symbolic link; the JVM running as another user; its working directory.
 *
 * <p>Files the test stages for the container (the app jar, an impostor jar) go to a tmpfs at {@code
 * /srv} inside, so {@code /tmp} holds nothing but what the JVM, the planting and fourtuple put
 * there.
 */
final class Container {
  /** A user who is neither root nor the JVM's user: the neighbour who plants things. */
  static final int NEIGHBOUR = 65533;

  /** The JVM's user when the test asks for another user: nobody. */
  static final int SERVICE_USER = 65534;

  private final Jdk jdk;
  private final List<String> plants = new ArrayList<>();
  private final List<String> jvmArgs = new ArrayList<>();
  private final List<String> staged = new ArrayList<>();
  private final List<String> classpath = new ArrayList<>();
  private Integer user;
  private boolean readOnlyTmp;
  private String tmpLink;
  private String workingDirectory;

  private Container(Jdk jdk) {
    this.jdk = jdk;
  }

  static Container on(Jdk jdk) {
    ChildJvm.on(jdk); // skips the test, saying why, without root or without this JDK
    return new Container(jdk);
  }

  /** A shell command run as root inside, after {@code /tmp} is there, before the JVM starts. */
  Container plant(String shell) {
    plants.add(shell);
    return this;
  }

  /** Like {@link #plant}, as the neighbour (uid {@link #NEIGHBOUR}). */
  Container plantAsNeighbour(String shell) {
    plants.add(
        "setpriv --reuid="
            + NEIGHBOUR
            + " --regid="
            + NEIGHBOUR
            + " --clear-groups sh -c '"
            + shell.replace("'", "'\\''")
            + "'");
    return this;
  }

  Container jvmArg(String arg) {
    jvmArgs.add(arg);
    return this;
  }

  /** Copies the host's {@code file} to {@code /srv/<name>} inside (readable by all). */
  Container stage(Path file, String name) {
    staged.add("cp '" + file.toAbsolutePath() + "' /srv/" + name + " && chmod 644 /srv/" + name);
    return this;
  }

  /** Stages {@code jar} and puts it on the class path before the app. */
  Container classpathFirst(Path jar, String name) {
    stage(jar, name);
    classpath.add("/srv/" + name);
    return this;
  }

  /** Runs the JVM as {@link #SERVICE_USER}. */
  Container asServiceUser() {
    user = SERVICE_USER;
    return this;
  }

  Container readOnlyTmp() {
    readOnlyTmp = true;
    return this;
  }

  /**
   * Gives the container its own root directory, whose {@code /tmp} is a symbolic link to {@code
   * target} (an absolute path, made inside): resolved from the host through {@code
   * /proc/<pid>/root}, the link leads to the host's {@code target}.
   */
  Container tmpIsALinkTo(String target) {
    tmpLink = target;
    return this;
  }

  /** The JVM's working directory, made inside ({@code /srv/...}). */
  Container workingDirectory(String dir) {
    workingDirectory = dir;
    return this;
  }

  ServiceJvm start(String... args) throws IOException {
    String app = ChildJvm.SAMPLES.toAbsolutePath().toString();
    String agentDir = ChildJvm.AGENT.toAbsolutePath().normalize().getParent().toString();
    List<String> script = new ArrayList<>();
    script.add("set -e");
    script.add("ip link set lo up");
    script.add(
        "echo '"
            + ChildJvm.RANGE_LOW
            + " "
            + ChildJvm.RANGE_HIGH
            + "' > /proc/sys/net/ipv4/ip_local_port_range");
    // Staging first: the checkout may live under /tmp, and the agent's directory is hidden next.
    script.add("mount -t tmpfs -o mode=755 tmpfs /srv");
    script.add("cp '" + app + "' /srv/app.jar");
    script.addAll(staged);
    script.add("mount -t tmpfs tmpfs '" + agentDir + "'");
    if (user != null && jdk.home().startsWith("/root")) {
      // The extra JDKs live under /root (mode 700): give the JVM's user a way through.
      script.add("mkdir /srv/.cache && mount --bind /root/.cache /srv/.cache");
      script.add("mount -t tmpfs -o mode=755 tmpfs /root && mkdir /root/.cache");
      script.add("mount --bind /srv/.cache /root/.cache");
    }
    String root = "";
    if (tmpLink != null) {
      root = "/mnt";
      script.add("mount -t tmpfs -o mode=755 tmpfs /mnt");
      script.add("mkdir -p /mnt/usr /mnt/etc /mnt/dev /mnt/proc /mnt/srv /mnt/root");
      script.add("for d in usr etc dev srv root; do mount --rbind /$d /mnt/$d; done");
      script.add("for d in bin lib lib64 sbin; do ln -s usr/$d /mnt/$d; done");
      script.add("mkdir -p -m 1777 '/mnt" + tmpLink + "' && ln -s '" + tmpLink + "' /mnt/tmp");
      script.add("mount -t proc proc /mnt/proc");
    } else {
      script.add("mount -t tmpfs tmpfs /tmp");
    }
    if (workingDirectory != null) {
      script.add("mkdir -p -m 1777 '" + root + workingDirectory + "'");
    }
    for (String plant : plants) {
      script.add(
          tmpLink != null ? "chroot /mnt sh -c '" + plant.replace("'", "'\\''") + "'" : plant);
    }
    if (readOnlyTmp) {
      script.add("mount -o remount,ro /tmp");
    }
    if (workingDirectory != null) {
      script.add("cd '" + root + workingDirectory + "'");
    }
    StringBuilder exec = new StringBuilder("exec");
    if (tmpLink != null) {
      // chroot changes to the new root's /: go back to the working directory inside.
      exec.append(" chroot /mnt");
      if (workingDirectory != null) {
        exec.append(" sh -c 'cd \"").append(workingDirectory).append("\" && exec \"$@\"' sh");
      }
    }
    if (user != null) {
      exec.append(" setpriv --reuid=")
          .append(user)
          .append(" --regid=")
          .append(user)
          .append(" --clear-groups");
    }
    exec.append(" \"$@\"");
    script.add(exec.toString());

    List<String> command = new ArrayList<>();
    command.addAll(List.of("unshare", "-mnp", "--fork", "sh", "-c", String.join("\n", script)));
    command.add("sh");
    command.add(jdk.java().toString());
    command.addAll(jdk.extraJvmArgs());
    command.addAll(jvmArgs);
    command.add("-cp");
    List<String> path = new ArrayList<>(classpath);
    path.add("/srv/app.jar");
    command.add(String.join(":", path));
    command.add("io.fourtuple.samples.LegacyService");
    command.addAll(List.of(args));
    return ServiceJvm.launch(jdk, command, true);
  }
}
