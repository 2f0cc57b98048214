package io.fourtuple.agent.core.linger;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts findings per call site, so each site is logged once and counted after that. Bounded:
 * beyond {@code capacity} distinct sites, further ones are only counted as overflow (and the
 * summary says so). Written on the reporter thread, read by the exit summary.
 */
final class LingerSites {
  private final int capacity;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<String, AtomicLong>();
  private final LongAdder overflow = new LongAdder();

  LingerSites(int capacity) {
    this.capacity = capacity;
  }

  /** Counts one occurrence at {@code key}; true if it is the first one (so it should be logged). */
  boolean record(String key) {
    AtomicLong count = counts.get(key);
    if (count != null) {
      count.incrementAndGet();
      return false;
    }
    if (counts.size() >= capacity) {
      overflow.increment();
      return false;
    }
    AtomicLong fresh = new AtomicLong(1);
    AtomicLong raced = ((ConcurrentHashMap<String, AtomicLong>) counts).putIfAbsent(key, fresh);
    if (raced != null) {
      raced.incrementAndGet();
      return false;
    }
    return true;
  }

  long count(String key) {
    AtomicLong count = counts.get(key);
    return count == null ? 0 : count.get();
  }

  /** {@code site ×count} entries, most frequent first, at most {@code limit}; then any overflow. */
  String describe(int limit) {
    List<Map.Entry<String, AtomicLong>> entries =
        new ArrayList<Map.Entry<String, AtomicLong>>(counts.entrySet());
    Collections.sort(entries, ByCount.INSTANCE);
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (Map.Entry<String, AtomicLong> e : entries) {
      if (shown == limit) {
        out.append("; and ").append(entries.size() - shown).append(" more sites");
        break;
      }
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(e.getKey()).append(" x").append(e.getValue().get());
      shown++;
    }
    long over = overflow.sum();
    if (over > 0) {
      out.append("; ")
          .append(over)
          .append(" more at sites beyond the cap of ")
          .append(capacity)
          .append(" (counted, not attributed)");
    }
    return out.length() == 0 ? "none" : out.toString();
  }

  /** A named comparator: no lambdas in the agent. */
  private enum ByCount implements Comparator<Map.Entry<String, AtomicLong>> {
    INSTANCE;

    @Override
    public int compare(Map.Entry<String, AtomicLong> a, Map.Entry<String, AtomicLong> b) {
      return Long.compare(b.getValue().get(), a.getValue().get());
    }
  }
}
