package io.fourtuple.agent.instrumentation;

import java.util.List;

/** One JDK class the agent hooks: its name and, for a given class file, the methods to weave. */
abstract class TargetType {
  private final String className;

  /** {@code className}: the binary name, {@code sun.nio.ch.NioSocketImpl}. */
  TargetType(String className) {
    this.className = className;
  }

  /** Binary name, {@code sun.nio.ch.NioSocketImpl}. */
  final String className() {
    return className;
  }

  /**
   * The hooks for this JDK's version of the class. Anything that cannot be hooked because the class
   * is not shaped as expected is added to {@code problems} and left unchanged.
   */
  abstract List<MethodHook> hooks(ClassShape shape, List<String> problems);
}
