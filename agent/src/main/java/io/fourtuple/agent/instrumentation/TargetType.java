package io.fourtuple.agent.instrumentation;

import java.util.List;

/** One JDK class the agent hooks: its name and, for a given class file, the methods to weave. */
interface TargetType {
  /** Binary name, {@code sun.nio.ch.NioSocketImpl}. */
  String className();

  /**
   * The hooks for this JDK's version of the class. Anything that cannot be hooked because the class
   * is not shaped as expected is added to {@code problems} and left unchanged.
   */
  List<MethodHook> hooks(ClassShape shape, List<String> problems);
}
