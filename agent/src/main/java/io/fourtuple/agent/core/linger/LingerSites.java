package io.fourtuple.agent.core.linger;

import io.fourtuple.agent.core.report.CallSites;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The linger guard's findings per call site, kept in the agent's one call-site table: each finding
 * ({@code ZERO 0 s}, {@code close()}) is logged the first time at a site and counted after that,
 * under its text as the site's key (the audit's keys are its own enum). Past the table's caps a
 * finding is only counted as overflow (and the summary says so). Written on the reporter thread,
 * read by the exit summary.
 */
final class LingerSites {
  private final CallSites table;
  private final LongAdder overflow = new LongAdder();

  LingerSites(CallSites table) {
    this.table = table;
  }

  /** Counts one {@code finding} at {@code site}; true if it is the first (so it is logged). */
  boolean record(String finding, String site) {
    CallSites.Site s = table.site(site);
    Object count = s == null ? null : s.use(finding);
    if (count == null && s != null) {
      count = s.use(finding, new AtomicLong());
    }
    if (count == null) {
      overflow.increment();
      return false;
    }
    return ((AtomicLong) count).incrementAndGet() == 1;
  }

  /**
   * {@code finding at site xcount} entries, most frequent first, at most {@code limit}; overflow.
   */
  String describe(int limit) {
    List<Map.Entry<String, Long>> entries = new ArrayList<Map.Entry<String, Long>>();
    for (CallSites.Site s : table.sites()) {
      for (Map.Entry<Object, Object> use : s.uses()) {
        if (use.getKey() instanceof String) {
          entries.add(
              new SimpleImmutableEntry<String, Long>(
                  use.getKey() + " at " + s.text, ((AtomicLong) use.getValue()).get()));
        }
      }
    }
    Collections.sort(entries, CallSites.MostFirst.INSTANCE);
    StringBuilder out = new StringBuilder();
    for (int shown = 0; shown < entries.size(); shown++) {
      if (shown == limit) {
        out.append("; and ").append(entries.size() - shown).append(" more sites");
        break;
      }
      Map.Entry<String, Long> e = entries.get(shown);
      out.append(shown > 0 ? "; " : "").append(e.getKey()).append(" x").append(e.getValue());
    }
    long over = overflow.sum();
    if (over > 0) {
      out.append("; ")
          .append(over)
          .append(" more at sites beyond the cap of ")
          .append(table.max())
          .append(" (counted, not attributed)");
    }
    return out.length() == 0 ? "none" : out.toString();
  }
}
