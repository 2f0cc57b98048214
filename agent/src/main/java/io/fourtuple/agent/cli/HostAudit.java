package io.fourtuple.agent.cli;

import io.fourtuple.agent.core.report.JsonWriter;
import io.fourtuple.agent.core.report.OutputFiles;
import io.fourtuple.agent.core.report.UtcTime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The audit lifecycle (attach in audit mode, wait, report, detach) for {@code audit <pid>} and
 * {@code audit --all}, and {@code status --all}: the one-JVM commands of {@link Cli}, run over
 * every JVM of the host that the rules select, and one report ranked by risk across them.
 *
 * <p>{@code audit --all} attaches in audit mode to each selected JVM that does not run fourtuple,
 * waits once for all of them, then collects each one's report (the agent's JSON answer) and
 * detaches it. A JVM that already runs fourtuple is read and left as it is.
 *
 * <p>Hazards: every JVM attached to is detached again, also when the command is interrupted
 * (Ctrl-C, SIGTERM): a shutdown hook detaches those still attached. Attaching, and reading then
 * detaching one JVM, happen under one lock that the hook takes too, so a JVM is never left
 * half-attached behind the hook's back, and nothing new is attached once the hook ran. The answers
 * come from processes this command does not trust: they are parsed with bounds ({@link JsonReader})
 * and printed without control characters.
 */
final class HostAudit {
  /** Destination rows printed; the JSON document holds them all. */
  private static final int SHOWN_DESTINATIONS = 20;

  private final Cli cli;
  private final PrintStream out;
  private final PrintStream err;

  private final Object lock = new Object();

  /** JVMs this command attached to and has not detached yet; guarded by {@link #lock}. */
  private final List<TargetJvm> attached = new ArrayList<TargetJvm>();

  /** Set by the shutdown hook; guarded by {@link #lock}. */
  private boolean interrupted;

  HostAudit(Cli cli, PrintStream out, PrintStream err) {
    this.cli = cli;
    this.out = out;
    this.err = err;
  }

  /** One JVM's report. */
  private static final class Audited {
    final TargetJvm jvm;

    /** Attached in audit mode by this command, or read (it already ran fourtuple). */
    final boolean read;

    final String json;
    final Object report;

    Audited(TargetJvm jvm, boolean read, String json, Object report) {
      this.jvm = jvm;
      this.read = read;
      this.json = json;
      this.report = report;
    }

    String mode() {
      return JsonReader.string(JsonReader.get(report, "agent"), "mode", "?");
    }
  }

  int audit(JvmSelection selection, long millis, String configArgs, String jsonFile)
      throws CliException {
    List<TargetJvm.Unusable> unreadable = new ArrayList<TargetJvm.Unusable>();
    List<TargetJvm> toAttach = new ArrayList<TargetJvm>();
    List<TargetJvm> toRead = new ArrayList<TargetJvm>();
    List<TargetJvm.Unusable> notAudited = new ArrayList<TargetJvm.Unusable>();
    int selected = 0;
    for (TargetJvm t : TargetJvm.all(unreadable)) {
      if (selection.leftOutBecause(t.pid, t.uid, t.mainClass()) != null) {
        continue;
      }
      selected++;
      String refusal = t.attachRefusal();
      refusal = refusal != null ? refusal : t.dynamicLoadingRefusal();
      if (refusal != null) {
        notAudited.add(new TargetJvm.Unusable(t, refusal));
        continue;
      }
      try {
        String state = cli.stateOf(t, "-");
        (state.equals("enforce") || state.equals("audit") ? toRead : toAttach).add(t);
      } catch (CliException e) {
        notAudited.add(new TargetJvm.Unusable(t, e.getMessage()));
      }
    }
    for (TargetJvm.Unusable u : unreadable) {
      if (selection.leftOutBecause(u.pid, u.uid, u.main) == null) {
        selected++;
        notAudited.add(u);
      }
    }
    if (selected == 0) {
      throw new CliException(
          Cli.CANNOT_ATTACH, "no JVM on this host matches the selection (try: list)");
    }

    Thread detachOnExit = addDetachHook();
    String auditArgs = auditArgs(configArgs, millis);
    boolean warnedJep451 = false;
    for (TargetJvm t : toAttach) {
      synchronized (lock) {
        if (interrupted) {
          break;
        }
        try {
          Cli.Reply r = cli.exchange(t, "attach", auditArgs, false);
          if (r.code == Cli.OK) {
            attached.add(t);
            err.println("fourtuple: " + r.body.trim());
            if (!warnedJep451 && t.feature() >= 21 && !t.acknowledgesDynamicAgents()) {
              cli.noteDynamicLoading(t);
              warnedJep451 = true;
            }
          } else {
            notAudited.add(new TargetJvm.Unusable(t, r.body.trim()));
            detachAfterFailedAttach(t);
          }
        } catch (CliException e) {
          notAudited.add(new TargetJvm.Unusable(t, e.getMessage()));
          detachAfterFailedAttach(t);
        }
      }
    }
    int watched;
    synchronized (lock) {
      watched = attached.size() + toRead.size();
    }
    if (watched > 0) {
      waitWithProgress(
          String.format(
              "auditing %s JVM(s) side by side for %s; nothing in them is changed",
              watched, Cli.formatMillis(millis)),
          watched + " JVM(s)",
          millis);
    }

    List<Audited> audited = new ArrayList<Audited>();
    for (TargetJvm t : toRead) {
      collect(t, true, audited, notAudited);
    }
    List<TargetJvm> mine;
    synchronized (lock) {
      mine = new ArrayList<TargetJvm>(attached);
    }
    for (TargetJvm t : mine) {
      synchronized (lock) {
        if (interrupted) {
          break;
        }
        collect(t, false, audited, notAudited);
        attached.remove(t);
        detach(t);
      }
    }
    removeHook(detachOnExit);
    Collections.sort(notAudited, (a, b) -> Integer.compare(a.pid, b.pid));
    out.print(text(audited, notAudited, millis));
    out.flush();
    if (jsonFile != null) {
      try {
        OutputFiles.replace(Paths.get(jsonFile), json(audited, notAudited, millis));
        err.println("fourtuple: wrote " + jsonFile);
      } catch (IOException | RuntimeException e) {
        throw new CliException(
            Cli.FAILED, "could not write --json " + jsonFile + ": " + e.getMessage());
      }
    }
    return audited.isEmpty() ? Cli.CANNOT_ATTACH : Cli.OK;
  }

  /**
   * An attach that failed may still have started the agent (its answer lost, say): a detach makes
   * sure. A JVM where nothing started answers "not attached", or is not asked at all.
   */
  private void detachAfterFailedAttach(TargetJvm t) {
    try {
      Cli.Reply r = cli.exchange(t, "detach", null, false);
      if (r.code == Cli.OK) {
        err.println("fourtuple: " + r.body.trim());
      }
    } catch (CliException e) {
      // Gone, or refuses attach: nothing of this command is in it.
    }
  }

  /** The shutdown hook: detaches every JVM still attached, and stops further attaches. */
  private void detachRemaining() {
    synchronized (lock) {
      interrupted = true;
      if (attached.isEmpty()) {
        return;
      }
      err.println("fourtuple: interrupted, detaching from " + attached.size() + " JVM(s)");
      for (TargetJvm t : attached) {
        detach(t);
      }
      attached.clear();
    }
  }

  private void detach(TargetJvm t) {
    try {
      cli.send(t, "detach", null, false);
    } catch (CliException e) {
      err.println("fourtuple: " + e.getMessage());
    }
  }

  /**
   * {@code audit <pid>}: the same lifecycle over one JVM that does not run fourtuple yet, printing
   * that JVM's own report (text, or its JSON with {@code json}).
   */
  int auditOne(TargetJvm target, long millis, String configArgs, boolean json) throws CliException {
    Thread detachOnExit = addDetachHook();
    try {
      synchronized (lock) {
        int code = cli.send(target, "attach", auditArgs(configArgs, millis), false);
        if (code != Cli.OK) {
          return code;
        }
        attached.add(target);
      }
      cli.noteDynamicLoading(target);
      waitWithProgress(
          "auditing "
              + target.pid
              + " for "
              + Cli.formatMillis(millis)
              + "; nothing in it is changed",
          "pid " + target.pid,
          millis);
      synchronized (lock) {
        if (interrupted) {
          return Cli.FAILED;
        }
        attached.remove(target);
        int reportCode = Cli.FAILED;
        try {
          reportCode = cli.send(target, "report", null, json);
        } finally {
          int detachCode = cli.send(target, "detach", null, false);
          reportCode = reportCode != Cli.OK ? reportCode : detachCode;
        }
        return reportCode;
      }
    } finally {
      removeHook(detachOnExit);
    }
  }

  private Thread addDetachHook() {
    Thread hook = new Thread(this::detachRemaining, "fourtuple-audit-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException exiting) {
      // the hook runs already
    }
  }

  /**
   * Audit mode and the user's arguments; the ledger reports at its ticks (10 s by default), so
   * unless the user chose an interval it ticks a few times within a short audit.
   */
  private static String auditArgs(String configArgs, long millis) {
    String args = "mode=audit" + (configArgs == null ? "" : "," + configArgs);
    if (configArgs == null || !configArgs.contains("ledger.interval")) {
      args += ",ledger.interval=" + Math.max(100, Math.min(10_000, millis / 4)) + "ms";
    }
    return args;
  }

  private void waitWithProgress(String header, String what, long millis) {
    long start = System.nanoTime();
    long step = Math.max(1000, millis / 10);
    err.println("fourtuple: " + header);
    while (true) {
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (elapsed >= millis) {
        return;
      }
      try {
        Thread.sleep(Math.min(step - elapsed % step, millis - elapsed));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      elapsed = Math.min(millis, (System.nanoTime() - start) / 1_000_000);
      synchronized (lock) {
        if (interrupted) {
          return;
        }
      }
      err.printf(
          "fourtuple: audit %3s%%  %s of %s, %s%n",
          elapsed * 100 / millis,
          Cli.formatMillis(elapsed / 1000 * 1000),
          Cli.formatMillis(millis),
          what);
    }
  }

  private void collect(
      TargetJvm t, boolean read, List<Audited> audited, List<TargetJvm.Unusable> notAudited) {
    try {
      Cli.Reply r = cli.exchange(t, "report", null, true);
      if (r.code != Cli.OK) {
        notAudited.add(new TargetJvm.Unusable(t, r.body.trim()));
        return;
      }
      audited.add(new Audited(t, read, r.body.trim(), JsonReader.parse(r.body)));
    } catch (CliException e) {
      notAudited.add(new TargetJvm.Unusable(t, e.getMessage()));
    } catch (IllegalArgumentException e) {
      notAudited.add(new TargetJvm.Unusable(t, "its report could not be read: " + e.getMessage()));
    }
  }

  // ---- the ranked report ----

  /** A destination row of one JVM's ledger. */
  private static final class Row {
    final Audited jvm;
    final Object destination;
    final long free;
    final long pool;

    /** In the text: how many more destinations draw from this row's shared pool. */
    int sharedWith;

    /** Live connections and connect failures, summed over the shared pool's rows in the text. */
    long live;

    long failures;

    Row(Audited jvm, Object destination) {
      this.jvm = jvm;
      this.destination = destination;
      Object headroom = JsonReader.get(destination, "headroom");
      this.free = JsonReader.number(headroom, "free", Long.MAX_VALUE);
      this.pool = JsonReader.number(headroom, "pool", -1);
      this.live = JsonReader.number(destination, "live", 0);
      this.failures = failuresOf(destination);
    }

    private static long failuresOf(Object destination) {
      long sum = 0;
      Object f = JsonReader.get(destination, "failures");
      if (f instanceof Map) {
        for (Object v : ((Map<?, ?>) f).values()) {
          sum += v instanceof Double ? Math.round((Double) v) : 0;
        }
      }
      return sum;
    }
  }

  /** Every JVM's destinations with a headroom, fewest free ports first, then most failures. */
  private static List<Row> ranked(List<Audited> audited) {
    List<Row> rows = new ArrayList<Row>();
    for (Audited a : audited) {
      for (Object d : JsonReader.list(JsonReader.get(a.report, "ledger"), "destinations")) {
        if (JsonReader.get(d, "headroom") instanceof Map) {
          rows.add(new Row(a, d));
        }
      }
    }
    Collections.sort(
        rows,
        (x, y) ->
            x.free != y.free ? Long.compare(x.free, y.free) : Long.compare(y.failures, x.failures));
    return rows;
  }

  /**
   * The text's rows: a JVM's destinations that all draw from one shared pool (bind before connect,
   * kernel fact 3) are one row, not one per destination with the same figures.
   */
  private static List<Row> onePerSharedPool(List<Row> ranked) {
    List<Row> out = new ArrayList<Row>();
    Map<Audited, Row> shared = new java.util.IdentityHashMap<Audited, Row>();
    for (Row r : ranked) {
      boolean inShared =
          "shared"
              .equals(JsonReader.string(JsonReader.get(r.destination, "headroom"), "model", ""));
      Row first = inShared ? shared.get(r.jvm) : null;
      if (first != null) {
        first.sharedWith++;
        first.live += r.live;
        first.failures += r.failures;
        continue;
      }
      if (inShared) {
        shared.put(r.jvm, r);
      }
      out.add(r);
    }
    return out;
  }

  private static List<?> sites(Audited a) {
    return JsonReader.list(JsonReader.get(a.report, "call sites"), "sites");
  }

  private static String linger(Audited a) {
    Object linger = JsonReader.get(a.report, "linger");
    String findings = JsonReader.string(linger, "findings", null);
    return findings == null || findings.trim().isEmpty() || findings.startsWith("0 sets")
        ? null
        : findings;
  }

  private static String text(
      List<Audited> audited, List<TargetJvm.Unusable> notAudited, long millis) {
    StringBuilder s = new StringBuilder(4096);
    int read = 0;
    for (Audited a : audited) {
      read += a.read ? 1 : 0;
    }
    s.append(
        String.format(
            "fourtuple host audit: %s JVM(s) audited for %s (%s attached in audit mode and"
                + " detached, %s already running fourtuple, read), %s not audited%n",
            audited.size(),
            Cli.formatMillis(millis),
            audited.size() - read,
            read,
            notAudited.size()));

    s.append(
        "\ndestinations closest to running out of source ports (all JVMs, fewest free first):\n");
    List<Row> rows = onePerSharedPool(ranked(audited));
    if (rows.isEmpty()) {
      s.append("  none: no ledger reported a destination\n");
    } else {
      s.append(
          "   FREE   POOL PROJECTED  LIVE FAILURES  DESTINATION              MODEL           PID"
              + "      JVM\n");
      for (Row r : rows.subList(0, Math.min(rows.size(), SHOWN_DESTINATIONS))) {
        Object h = JsonReader.get(r.destination, "headroom");
        s.append(
            String.format(
                "  %5s %6s %9s %5s %8s  %-24s %-15s %-8s %s%n",
                r.free,
                r.pool,
                JsonReader.number(h, "projected", -1),
                r.live,
                r.failures,
                r.sharedWith == 0
                    ? JsonReader.string(r.destination, "destination", "?")
                    : (r.sharedWith + 1) + " destinations",
                JsonReader.string(h, "model", "?"),
                r.jvm.jvm.pid,
                r.jvm.jvm.mainClass()));
      }
      if (rows.size() > SHOWN_DESTINATIONS) {
        s.append("  (")
            .append(rows.size() - SHOWN_DESTINATIONS)
            .append(" more destinations in --json)\n");
      }
    }
    for (Audited a : audited) {
      if (JsonReader.get(a.report, "ledger") == null) {
        s.append("  (pid ")
            .append(a.jvm.pid)
            .append(": no ledger report yet; it comes at the first tick after the first client")
            .append(" socket)\n");
      }
    }

    s.append("\nbind-before-connect call sites (what enforce mode rewrites), per JVM:\n");
    List<Audited> bySites = new ArrayList<Audited>(audited);
    Collections.sort(bySites, (x, y) -> Long.compare(siteCount(y), siteCount(x)));
    boolean anySite = false;
    for (Audited a : bySites) {
      if (sites(a).isEmpty()) {
        continue;
      }
      anySite = true;
      pidLine(s, a.jvm.pid, a.jvm.mainClass(), null)
          .append(" (")
          .append(a.mode())
          .append(a.read ? ", already running fourtuple" : "")
          .append("):\n");
      for (Object site : sites(a)) {
        s.append(
            String.format(
                "    %s\n      %s binds (%s), %s connected, %s\n      enforce: %s\n",
                JsonReader.string(site, "callSite", "?"),
                JsonReader.number(site, "count", 0),
                JsonReader.string(site, "kind", "?"),
                JsonReader.number(site, "connected", 0),
                countsOf(JsonReader.get(site, "failures")),
                JsonReader.string(site, "enforce", "?")));
      }
    }
    if (!anySite) {
      s.append("  none seen\n");
    }

    s.append("\nSO_LINGER findings:\n");
    boolean anyLinger = false;
    for (Audited a : audited) {
      String findings = linger(a);
      if (findings != null) {
        anyLinger = true;
        pidLine(s, a.jvm.pid, a.jvm.mainClass(), findings);
      }
    }
    if (!anyLinger) {
      s.append("  none seen\n");
    }

    if (!notAudited.isEmpty()) {
      s.append("\nnot audited:\n");
      for (TargetJvm.Unusable n : notAudited) {
        pidLine(s, n.pid, n.main, n.reason);
      }
    }
    return Cli.printable(s.toString());
  }

  /** {@code " pid <pid> <main>"}, then {@code ": <text>"} and a newline when text is given. */
  private static StringBuilder pidLine(StringBuilder s, int pid, String main, String text) {
    s.append("  pid ").append(pid).append(' ').append(main);
    return text == null ? s : s.append(": ").append(text).append('\n');
  }

  private static long siteCount(Audited a) {
    long sum = 0;
    for (Object site : sites(a)) {
      sum += JsonReader.number(site, "count", 0);
    }
    return sum;
  }

  private static String countsOf(Object counts) {
    if (!(counts instanceof Map) || ((Map<?, ?>) counts).isEmpty()) {
      return "no failures";
    }
    StringBuilder s = new StringBuilder();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) counts).entrySet()) {
      s.append(s.length() == 0 ? "" : ", ")
          .append(e.getKey())
          .append(": ")
          .append(e.getValue() instanceof Double ? Math.round((Double) e.getValue()) : 0);
    }
    return s.toString();
  }

  /** The same as one document, schema docs/host-audit.schema.json. */
  private static String json(
      List<Audited> audited, List<TargetJvm.Unusable> notAudited, long millis) {
    JsonWriter j = new JsonWriter(8192);
    long now = System.currentTimeMillis();
    j.beginObject()
        .field("schema", "fourtuple.host-audit/1")
        .field("time", UtcTime.seconds(now))
        .field("timeMillis", now)
        .field("durationMillis", millis);
    j.name("destinations").beginArray();
    for (Row r : ranked(audited)) {
      value(jvm(j, r.jvm.jvm.pid, r.jvm.jvm.mainClass()).name("row"), r.destination);
      j.endObject();
    }
    j.endArray();
    j.name("callSites").beginArray();
    for (Audited a : audited) {
      for (Object site : sites(a)) {
        value(jvm(j, a.jvm.pid, a.jvm.mainClass()).name("site"), site);
        j.endObject();
      }
    }
    j.endArray();
    j.name("linger").beginArray();
    for (Audited a : audited) {
      if (linger(a) != null) {
        jvm(j, a.jvm.pid, a.jvm.mainClass()).field("findings", linger(a)).endObject();
      }
    }
    j.endArray();
    j.name("jvms").beginArray();
    for (Audited a : audited) {
      jvm(j, a.jvm.pid, a.jvm.mainClass())
          .field("uid", a.jvm.uid)
          .field("jdk", a.jvm.javaVersion)
          .field("how", a.read ? "read" : "attached")
          .name("report")
          .rawValue(a.json)
          .endObject();
    }
    j.endArray();
    j.name("notAudited").beginArray();
    for (TargetJvm.Unusable n : notAudited) {
      jvm(j, n.pid, n.main).field("reason", n.reason).endObject();
    }
    j.endArray();
    return j.endObject().toString() + "\n";
  }

  /** Opens an object that starts with the JVM's {@code pid} and {@code jvm} (its main class). */
  private static JsonWriter jvm(JsonWriter j, int pid, String main) {
    return j.beginObject().field("pid", pid).field("jvm", main);
  }

  /** Writes a value {@link JsonReader} parsed. */
  private static void value(JsonWriter j, Object v) {
    if (v instanceof Map) {
      j.beginObject();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        value(j.name(String.valueOf(e.getKey())), e.getValue());
      }
      j.endObject();
    } else if (v instanceof List) {
      j.beginArray();
      for (Object item : (List<?>) v) {
        value(j, item);
      }
      j.endArray();
    } else if (v instanceof Double) {
      double d = (Double) v;
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        j.value((long) d);
      } else {
        j.value(d);
      }
    } else if (v instanceof Boolean) {
      j.value((Boolean) v);
    } else {
      j.value((String) v);
    }
  }

  // ---- status --all ----

  /** One line per JVM that runs fourtuple; with {@code json}, one array of their status answers. */
  int statusAll(boolean json) throws CliException {
    JsonWriter j = new JsonWriter().beginArray();
    if (!json) {
      out.print(
          "PID      MODE     JDK        LOADED      SITES  TIGHTEST DESTINATION (FREE/POOL)   MAIN\n");
    }
    int running = 0;
    for (TargetJvm t : TargetJvm.all()) {
      if (!t.carriesFourtuple) {
        continue;
      }
      Object report;
      Cli.Reply r;
      try {
        r = cli.exchange(t, "status", null, true);
        if (r.code != Cli.OK) {
          continue; // it holds the jar but was detached: fourtuple does not run there
        }
        report = JsonReader.parse(r.body);
      } catch (CliException | IllegalArgumentException e) {
        err.println("fourtuple: pid " + t.pid + ": " + Cli.printable(e.getMessage()));
        continue;
      }
      running++;
      Object agent = JsonReader.get(report, "agent");
      if (json) {
        jvm(j, t.pid, t.mainClass())
            .field("jdk", t.javaVersion)
            .name("status")
            .rawValue(r.body.trim())
            .endObject();
        continue;
      }
      List<Row> rows = ranked(Collections.singletonList(new Audited(t, true, r.body, report)));
      String tightest = "-";
      if (!rows.isEmpty()) {
        tightest =
            JsonReader.string(rows.get(0).destination, "destination", "?")
                + " "
                + rows.get(0).free
                + "/"
                + rows.get(0).pool;
      }
      out.print(
          Cli.printable(
              String.format(
                  "%-8s %-8s %-10s %-11s %5s  %-34s %s%n",
                  t.pid,
                  JsonReader.string(agent, "mode", "?"),
                  t.javaVersion,
                  JsonReader.string(agent, "loaded", "?"),
                  JsonReader.list(JsonReader.get(report, "call sites"), "sites").size(),
                  tightest,
                  t.mainClass())));
    }
    if (json) {
      out.println(j.endArray());
    }
    if (running == 0) {
      err.println("fourtuple: no JVM on this host runs fourtuple");
      return Cli.NOT_ATTACHED;
    }
    return Cli.OK;
  }
}
