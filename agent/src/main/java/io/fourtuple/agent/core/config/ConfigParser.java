package io.fourtuple.agent.core.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the three configuration sources into one {@link AgentConfig}. A pure function of its
 * inputs, so it is tested without an agent; the caller passes {@code System.getProperties()} and
 * {@code System.getenv()}.
 *
 * <p>Precedence, highest first: agent argument, system property, environment variable, default.
 * Agent arguments are {@code key=value} pairs separated by commas; a key may carry the {@code
 * fourtuple.} prefix or not. Unknown keys under any source are errors (a typo that silently does
 * nothing is worse than a message), except environment variables and properties outside the {@code
 * fourtuple} namespace, which are not ours.
 */
public final class ConfigParser {

  private ConfigParser() {}

  /**
   * Parses all sources.
   *
   * @throws ConfigException naming every bad key, value and source; {@link #strictRequested} tells
   *     whether the user asked for the JVM start to fail in that case
   */
  public static AgentConfig parse(
      String agentArgs, Map<String, String> systemProperties, Map<String, String> environment)
      throws ConfigException {
    Map<Setting, String> values = new EnumMap<Setting, String>(Setting.class);
    Map<Setting, Source> sources = new EnumMap<Setting, Source>(Setting.class);
    List<String> problems = new ArrayList<String>();

    // Lowest precedence first; later sources overwrite.
    for (Setting s : Setting.values()) {
      values.put(s, s.defaultValue());
      sources.put(s, Source.DEFAULT);
    }
    for (Map.Entry<String, String> e : environment.entrySet()) {
      if (e.getKey().startsWith(Setting.ENV_PREFIX)) {
        accept(e.getKey(), e.getValue(), Source.ENVIRONMENT, values, sources, problems);
      }
    }
    for (Map.Entry<String, String> e : systemProperties.entrySet()) {
      if (e.getKey().startsWith(Setting.PROPERTY_PREFIX)) {
        accept(e.getKey(), e.getValue(), Source.SYSTEM_PROPERTY, values, sources, problems);
      }
    }
    for (AgentArgs.Pair pair : AgentArgs.split(agentArgs)) {
      if (pair.value == null) {
        problems.add(
            "agent argument '"
                + pair.text
                + "' is not key=value (expected for example mode=audit,log.level=debug)");
      } else {
        accept(pair.key, pair.value, Source.AGENT_ARGUMENT, values, sources, problems);
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new AgentConfig(values, sources);
  }

  /**
   * Whether the sources ask for strict mode, read leniently so the answer is known even when
   * parsing fails: the strict value that wins (the last agent argument, else the property, else the
   * environment) decides when it is {@code true} or {@code false}.
   */
  public static boolean strictRequested(
      String agentArgs, Map<String, String> systemProperties, Map<String, String> environment) {
    Boolean decided = asBoolean(lastValue(agentArgs, Setting.STRICT));
    if (decided == null) {
      decided = asBoolean(systemProperties.get(Setting.STRICT.propertyName()));
    }
    if (decided == null) {
      decided = asBoolean(environment.get(Setting.STRICT.envName()));
    }
    return decided != null && decided;
  }

  /** Whether the agent arguments set {@code setting} (the command line's audit checks mode). */
  public static boolean sets(String agentArgs, Setting setting) {
    return lastValue(agentArgs, setting) != null;
  }

  /** The value the agent arguments give {@code setting} last (the one that wins), or null. */
  private static String lastValue(String agentArgs, Setting setting) {
    String last = null;
    for (AgentArgs.Pair pair : AgentArgs.split(agentArgs)) {
      if (pair.value != null && Setting.find(pair.key) == setting) {
        last = pair.value;
      }
    }
    return last;
  }

  private static Boolean asBoolean(String raw) {
    if (raw == null) {
      return null;
    }
    String v = raw.trim();
    return "true".equalsIgnoreCase(v)
        ? Boolean.TRUE
        : "false".equalsIgnoreCase(v) ? Boolean.FALSE : null;
  }

  private static void accept(
      String key,
      String raw,
      Source source,
      Map<Setting, String> values,
      Map<Setting, Source> sources,
      List<String> problems) {
    Setting setting = Setting.find(key);
    if (setting == null) {
      Setting hint = Setting.closest(key);
      problems.add(
          String.format(
              "unknown key '%s' (from %s)%s",
              key, source, hint == null ? "" : ", did you mean '" + spelling(hint, source) + "'?"));
      return;
    }
    String value = setting.normalize(raw == null ? "" : raw);
    if (value == null) {
      problems.add(
          String.format(
              "%s='%s' (from %s) is not valid: expected %s",
              spelling(setting, source), raw, source, setting.acceptedValues()));
      return;
    }
    values.put(setting, value);
    sources.put(setting, source);
  }

  /** The key as the user would have written it in that source. */
  private static String spelling(Setting setting, Source source) {
    switch (source) {
      case ENVIRONMENT:
        return setting.envName();
      case AGENT_ARGUMENT:
        return setting.shortName();
      default:
        return setting.propertyName();
    }
  }
}
