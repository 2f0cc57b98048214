package io.fourtuple.agent.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The one grammar of an agent argument string, shared by the agent ({@code ControlRequest}, {@link
 * ConfigParser}) and the command line: {@code key=value} pairs separated by commas, blanks around a
 * pair or a key ignored, empty pairs skipped. A value cannot contain a comma.
 */
public final class AgentArgs {
  /** One pair as written; {@link #key} is empty when the text has no {@code =} before a value. */
  public static final class Pair {
    public final String text;
    public final String key;
    public final String value;

    Pair(String text) {
      int eq = text.indexOf('=');
      this.text = text;
      this.key = eq > 0 ? text.substring(0, eq).trim() : "";
      this.value = eq > 0 ? text.substring(eq + 1) : null;
    }
  }

  private AgentArgs() {}

  /** The pairs of {@code args} in order; none for null. */
  public static List<Pair> split(String args) {
    List<Pair> pairs = new ArrayList<Pair>();
    if (args != null) {
      for (String part : args.split(",")) {
        String trimmed = part.trim();
        if (!trimmed.isEmpty()) {
          pairs.add(new Pair(trimmed));
        }
      }
    }
    return pairs;
  }

  /** The pairs joined back as they were written; null for none. */
  public static String join(List<Pair> pairs) {
    if (pairs.isEmpty()) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    for (Pair p : pairs) {
      out.append(out.length() > 0 ? "," : "").append(p.text);
    }
    return out.toString();
  }
}
