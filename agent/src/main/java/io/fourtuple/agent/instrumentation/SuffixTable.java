package io.fourtuple.agent.instrumentation;

import java.util.ArrayList;
import java.util.List;

/**
 * Target types of application class loaders, matched by the end of a class's internal name, so that
 * a relocated copy ({@code io/grpc/netty/shaded/io/netty/channel/unix/Socket}) matches as the
 * original does. A match must start at a package boundary: {@code com/acme/myio/netty/...} does not
 * match {@code io/netty/...}.
 *
 * <p>Hazard: {@link #match} runs for every class any loader defines, on the loading thread. It
 * allocates nothing and, for a class that is not a target, compares a few characters per entry (the
 * last character and the length first, then the region from its start, which differs at once for
 * almost every name).
 */
final class SuffixTable {
  private final String[] suffixes;
  private final char[] lastChars;
  private final List<List<TargetType>> types;

  SuffixTable(List<TargetType> targets) {
    List<String> names = new ArrayList<String>();
    types = new ArrayList<List<TargetType>>();
    for (TargetType type : targets) {
      String suffix = type.className().replace('.', '/');
      int at = names.indexOf(suffix);
      if (at < 0) {
        names.add(suffix);
        types.add(new ArrayList<TargetType>());
        at = names.size() - 1;
      }
      types.get(at).add(type);
    }
    suffixes = names.toArray(new String[0]);
    lastChars = new char[suffixes.length];
    for (int i = 0; i < suffixes.length; i++) {
      lastChars[i] = suffixes[i].charAt(suffixes[i].length() - 1);
    }
  }

  /** The target types for {@code internalName}, or null (the common case). */
  List<TargetType> match(String internalName) {
    int length = internalName.length();
    if (length == 0) {
      return null;
    }
    char last = internalName.charAt(length - 1);
    for (int i = 0; i < suffixes.length; i++) {
      String suffix = suffixes[i];
      int start = length - suffix.length();
      if (last == lastChars[i]
          && start >= 0
          && (start == 0 || internalName.charAt(start - 1) == '/')
          && internalName.regionMatches(start, suffix, 0, suffix.length())) {
        return types.get(i);
      }
    }
    return null;
  }

  boolean isEmpty() {
    return suffixes.length == 0;
  }
}
