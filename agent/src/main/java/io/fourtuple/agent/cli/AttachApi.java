package io.fourtuple.agent.cli;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Properties;

/**
 * The JDK's attach API ({@code com.sun.tools.attach.VirtualMachine}), reached by reflection so that
 * the command line runs on any JDK from 8: on 9+ it is the {@code jdk.attach} module, on 8 it lives
 * in {@code lib/tools.jar} of a JDK (a JRE has neither). Every failure becomes one {@link
 * CliException} line.
 *
 * <p>Why not Byte Buddy's {@code ByteBuddyAgent.attach}: it hides the JDK's exception types behind
 * its own, and the point here is to say exactly why an attach failed.
 */
final class AttachApi {
  private final Class<?> vmClass;

  private AttachApi(Class<?> vmClass) {
    this.vmClass = vmClass;
  }

  /**
   * Finds the attach API of the running Java.
   *
   * @throws CliException when this runtime has none
   */
  static AttachApi load() throws CliException {
    String name = "com.sun.tools.attach.VirtualMachine";
    try {
      return new AttachApi(Class.forName(name));
    } catch (ClassNotFoundException | LinkageError notOnClassPath) {
      // JDK 8: the API is in the JDK's lib/tools.jar, next to the jre directory java.home points
      // at.
      String home = System.getProperty("java.home");
      for (File toolsJar :
          new File[] {new File(home, "../lib/tools.jar"), new File(home, "lib/tools.jar")}) {
        if (toolsJar.isFile()) {
          try {
            URLClassLoader loader =
                new URLClassLoader(
                    new URL[] {toolsJar.toURI().toURL()}, AttachApi.class.getClassLoader());
            return new AttachApi(Class.forName(name, true, loader));
          } catch (Exception | LinkageError e) {
            throw new CliException(
                Cli.CANNOT_ATTACH, "cannot load the attach API from " + toolsJar + ": " + e);
          }
        }
      }
      throw new CliException(
          Cli.CANNOT_ATTACH,
          "this Java runtime (%s, %s) has no attach API (no jdk.attach module, no lib/tools.jar):"
              + " it is a JRE or a jlinked image; run the command with a full JDK's java, or use"
              + " 'jattach <pid> load instrument false /path/fourtuple-agent.jar=<args>'",
          home,
          System.getProperty("java.version"));
    }
  }

  /** An attached virtual machine; {@link #close()} detaches the attach session (not the agent). */
  final class Session implements AutoCloseable {
    private final Object vm;
    private final TargetJvm target;

    private Session(Object vm, TargetJvm target) {
      this.vm = vm;
      this.target = target;
    }

    /**
     * Loads the agent jar with {@code args}; returns when its {@code agentmain} has returned.
     *
     * @throws CliException with the JVM's reason when it refuses or the agent throws
     */
    void loadAgent(String jar, String args) throws CliException {
      try {
        call(vm, "loadAgent", jar, args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        // A JDK 8 target answers a successful load with "0"; the attach client of JDK 9+ expects
        // "return code: 0" and reports the old answer as AgentLoadException("0"). The agent did
        // load.
        if (cause.getClass().getSimpleName().equals("AgentLoadException")
            && "0".equals(String.valueOf(cause.getMessage()).trim())) {
          return;
        }
        throw translateLoad(cause);
      }
    }

    Properties systemProperties() throws CliException {
      try {
        return (Properties) call(vm, "getSystemProperties");
      } catch (InvocationTargetException e) {
        throw new CliException(
            Cli.FAILED,
            "could not read the system properties of " + target.pid + ": " + e.getCause());
      }
    }

    @Override
    public void close() {
      try {
        call(vm, "detach");
      } catch (InvocationTargetException | CliException | RuntimeException ignored) {
        // The session socket closes with this process anyway.
      }
    }

    private CliException translateLoad(Throwable cause) {
      String type = cause.getClass().getSimpleName();
      String message = String.valueOf(cause.getMessage());
      if (message.contains("EnableDynamicAgentLoading")
          || message.contains("Dynamic agent loading")) {
        return new CliException(
            Cli.CANNOT_ATTACH,
            "process %s refuses agents at run time (it runs with -XX:-EnableDynamicAgentLoading);"
                + " load fourtuple at start with -javaagent instead",
            target.pid);
      }
      if (type.equals("AgentInitializationException")) {
        return new CliException(
            Cli.FAILED,
            "the agent failed inside process %s (%s); it stays out of the way, see the target's"
                + " standard error",
            target.pid,
            message);
      }
      return new CliException(
          Cli.FAILED,
          "process " + target.pid + " could not load the agent: " + type + ": " + message);
    }
  }

  /**
   * Opens an attach session to {@code target}, which {@link TargetJvm#inspect} has vetted: refuses
   * what {@code /proc} already shows the JVM would refuse, and makes the JVM listen through {@link
   * AttachHandshake} so that the JDK's client never runs its own handshake.
   *
   * @throws CliException with the reason in one line
   */
  Session attach(TargetJvm target, TargetFiles files) throws CliException {
    String refusal = target.attachRefusal();
    if (refusal != null) {
      throw new CliException(Cli.CANNOT_ATTACH, refusal);
    }
    AttachHandshake.ensureListening(target, files);
    try {
      return new Session(call(null, "attach", String.valueOf(target.pid)), target);
    } catch (InvocationTargetException e) {
      throw translateAttach(target, e.getCause());
    }
  }

  /**
   * Calls {@code VirtualMachine.<method>(String...)} on {@code vm} (null: the static one).
   *
   * @throws InvocationTargetException what the attach API threw
   */
  private Object call(Object vm, String method, String... args)
      throws InvocationTargetException, CliException {
    Class<?>[] types = new Class<?>[args.length];
    java.util.Arrays.fill(types, String.class);
    try {
      return vmClass.getMethod(method, types).invoke(vm, (Object[]) args);
    } catch (IllegalAccessException | NoSuchMethodException e) {
      throw new CliException(Cli.FAILED, "attach API call failed: " + e);
    }
  }

  private static CliException translateAttach(TargetJvm target, Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    String lower = message.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("no such process")) {
      return new CliException(Cli.CANNOT_ATTACH, "no such process: " + target.pid);
    }
    if (lower.contains("permission denied")
        || lower.contains("not secure")
        || lower.contains("operation not permitted")) {
      return new CliException(
          Cli.CANNOT_ATTACH,
          "process %s refused the attach (%s): attach as the user that runs it (uid %s)",
          target.pid,
          message,
          target.uid);
    }
    if (lower.contains("doesn't respond")
        || lower.contains("not respond")
        || lower.contains("timed out")) {
      return new CliException(
          Cli.CANNOT_ATTACH,
          "JVM %s did not answer the attach request: it may run with -XX:+DisableAttachMechanism"
              + " (set through a flags file), still be starting, be stopped, or live in another"
              + " container whose /tmp this command cannot see (%s)",
          target.pid,
          message);
    }
    return new CliException(
        Cli.CANNOT_ATTACH,
        "cannot attach to process %s: %s: %s",
        target.pid,
        cause.getClass().getSimpleName(),
        message);
  }
}
