package io.fourtuple.agent.core.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's one table of call sites, with its one stack sampler and its one cap ({@code
 * callsites.max}). The port ledger (top sites per destination), the audit (what each site's binds
 * do) and the linger guard (findings per site) sample through {@link #take}, one budget for all, so
 * a storm that all three sample fills in no more stacks than one alone may; the stack is walked and
 * the {@link Site} looked up on the reporter or ledger thread, where each part keeps what it learns
 * of the site under a key of its own. Past {@code max} sites, or {@link #USES_PER_SITE} keys in a
 * site, nothing is added: the part counts what it could not attribute, and {@link #overCap} too.
 */
public final class CallSites {
  /** Stack captures per ~134 ms window for all parts together: about 190 a second. */
  public static final int SAMPLES_PER_WINDOW = 25;

  /** Keys one site holds (kinds of bind, SO_LINGER findings by class and value). */
  static final int USES_PER_SITE = 32;

  /**
   * Origins ({@link #takeOrigin}) taken whatever the budget: as the ledger samples the first
   * connects of every destination, an application's first client channels always name their call
   * site.
   */
  static final int FREE_ORIGINS = 1024;

  private final int max;
  private final StackSampler sampler;
  private final int freeOrigins;
  private final AtomicInteger origins = new AtomicInteger();
  private final ConcurrentHashMap<String, Site> sites = new ConcurrentHashMap<String, Site>();
  private final AtomicInteger size = new AtomicInteger();
  private final LongAdder overCap = new LongAdder();

  public CallSites(int max) {
    this(max, new StackSampler(SAMPLES_PER_WINDOW), FREE_ORIGINS);
  }

  CallSites(int max, StackSampler sampler, int freeOrigins) {
    this.max = max;
    this.sampler = sampler;
    this.freeOrigins = freeOrigins;
  }

  /** Hooks: whether this event may fill in a {@code Throwable} for its call site. */
  public boolean take() {
    return sampler.take();
  }

  /**
   * Whether a client channel made on the application's thread may keep that thread's stack as its
   * origin: the first {@link #FREE_ORIGINS} always (a connect storm at start would otherwise spend
   * the budget before the channels of its later destinations, whose first connects the ledger then
   * names by the event loop's frames), then within the budget of {@link #take}.
   */
  public boolean takeOrigin() {
    return origins.get() < freeOrigins && origins.incrementAndGet() <= freeOrigins
        || sampler.take();
  }

  public int samplesPerWindow() {
    return sampler.perWindow();
  }

  /** The site named {@code text} ({@link CallSite#of}), added if there is room; else null. */
  public Site site(String text) {
    Site s = sites.get(text);
    if (s != null) {
      return s;
    }
    if (size.incrementAndGet() > max) {
      size.decrementAndGet();
      overCap.increment();
      return null;
    }
    Site raced = sites.putIfAbsent(text, s = new Site(text));
    if (raced != null) {
      size.decrementAndGet();
    }
    return raced != null ? raced : s;
  }

  /** The sites, in no particular order. */
  public List<Site> sites() {
    return new ArrayList<Site>(sites.values());
  }

  public int max() {
    return max;
  }

  /** Observations no part could attribute: past {@link #max} sites or a site's keys. */
  public long overCap() {
    return overCap.sum();
  }

  /** One call site and what each part keeps of it, each under its own key. */
  public final class Site {
    public final String text;
    private final ConcurrentHashMap<Object, Object> uses = new ConcurrentHashMap<Object, Object>(4);

    Site(String text) {
      this.text = text;
    }

    /** What a part keeps here under {@code key}, or null. */
    public Object use(Object key) {
      return uses.get(key);
    }

    /** Keeps {@code value} under {@code key} unless a value is there; returns the one kept. */
    public Object use(Object key, Object value) {
      Object kept = uses.get(key);
      if (kept == null && uses.size() >= USES_PER_SITE) {
        overCap.increment();
        return null;
      }
      return kept != null || (kept = uses.putIfAbsent(key, value)) != null ? kept : value;
    }

    public Iterable<Map.Entry<Object, Object>> uses() {
      return uses.entrySet();
    }
  }

  /** Site texts with counts, most frequent first. A named comparator: no lambdas in the agent. */
  public enum MostFirst implements Comparator<Map.Entry<String, Long>> {
    INSTANCE;

    @Override
    public int compare(Map.Entry<String, Long> a, Map.Entry<String, Long> b) {
      return Long.compare(b.getValue(), a.getValue());
    }
  }
}
