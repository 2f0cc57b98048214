package io.fourtuple.agent.core.config;

/** Where a configuration value came from, in order of precedence (first wins). */
public enum Source {
  AGENT_ARGUMENT("agent argument"),
  SYSTEM_PROPERTY("system property"),
  ENVIRONMENT("environment variable"),
  DEFAULT("default");

  private final String label;

  Source(String label) {
    this.label = label;
  }

  @Override
  public String toString() {
    return label;
  }
}
