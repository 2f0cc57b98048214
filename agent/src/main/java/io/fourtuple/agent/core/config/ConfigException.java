package io.fourtuple.agent.core.config;

import java.util.Collections;
import java.util.List;

/**
 * The configuration could not be accepted. Its message names every bad key, value and source at
 * once.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = Collections.unmodifiableList(problems);
  }

  /** One entry per bad setting, each naming key, value and source. */
  public List<String> problems() {
    return problems;
  }
}
