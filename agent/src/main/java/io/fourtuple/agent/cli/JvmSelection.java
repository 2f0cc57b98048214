package io.fourtuple.agent.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which JVMs {@code audit --all} takes: {@code --include} and {@code --exclude} rules in the order
 * given, each a regular expression searched in a JVM's main class (or jar), its pid and its user
 * (name and uid); the first rule that matches decides. A JVM no rule matches is taken unless an
 * {@code --include} rule was given (Elastic's attacher decides the same way).
 */
final class JvmSelection {
  private final List<Rule> rules;
  private final Map<Integer, String> users;

  JvmSelection(List<Rule> rules) {
    this(rules, usersOf("/etc/passwd"));
  }

  JvmSelection(List<Rule> rules, Map<Integer, String> users) {
    this.rules = Collections.unmodifiableList(new ArrayList<Rule>(rules));
    this.users = users;
  }

  /** One {@code --include} or {@code --exclude}. */
  static final class Rule {
    final boolean include;
    final Pattern pattern;

    private Rule(boolean include, Pattern pattern) {
      this.include = include;
      this.pattern = pattern;
    }

    /**
     * @param option {@code --include} or {@code --exclude}
     * @throws CliException (usage) when {@code regex} is not a regular expression
     */
    static Rule of(String option, String regex) throws CliException {
      try {
        return new Rule(option.equals("--include"), Pattern.compile(regex));
      } catch (PatternSyntaxException e) {
        throw new CliException(
            Cli.USAGE,
            "%s '%s' is not a regular expression: %s near index %s",
            option,
            regex,
            e.getDescription(),
            e.getIndex());
      }
    }

    @Override
    public String toString() {
      return (include ? "--include '" : "--exclude '") + pattern.pattern() + "'";
    }
  }

  /** Why the JVM is left out, or null when it is taken. */
  String leftOutBecause(int pid, int uid, String main) {
    String user = users.get(uid);
    boolean anyInclude = false;
    for (Rule r : rules) {
      anyInclude |= r.include;
      if (r.pattern.matcher(main).find()
          || r.pattern.matcher(String.valueOf(pid)).find()
          || r.pattern.matcher(String.valueOf(uid)).find()
          || (user != null && r.pattern.matcher(user).find())) {
        return r.include ? null : "matches " + r;
      }
    }
    return anyInclude ? "matches no --include" : null;
  }

  private static Map<Integer, String> usersOf(String passwd) {
    Map<Integer, String> out = new HashMap<Integer, String>();
    try {
      for (String line : Files.readAllLines(Paths.get(passwd), StandardCharsets.UTF_8)) {
        String[] f = line.split(":");
        if (f.length > 2 && f[2].matches("[0-9]{1,9}")) {
          out.put(Integer.valueOf(f[2]), f[0]);
        }
      }
    } catch (IOException | RuntimeException unreadable) {
      // Rules then match the uid only.
    }
    return out;
  }
}
