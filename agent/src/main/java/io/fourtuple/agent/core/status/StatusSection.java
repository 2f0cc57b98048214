package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.report.JsonWriter;

/**
 * One part of what {@code status} prints: the agent itself, its counters, the process's sockets,
 * the call sites. Each part renders itself twice, as text for people and as one JSON value for
 * tools, so a new part (a per-destination ledger, linger findings) slots in by adding a section.
 *
 * <p>Hazard: sections are rendered on the thread that asked (the JVM's attach listener); they may
 * read {@code /proc} and walk stacks, but must not block on anything the application holds.
 */
public interface StatusSection {
  /** The JSON key and the text heading: {@code agent}, {@code counters}, {@code sockets}, ... */
  String name();

  /** Appends the section's text lines, each ending in a newline and indented by two spaces. */
  void writeText(StringBuilder out);

  /** Writes the section as one JSON value (usually an object). */
  void writeJson(JsonWriter json);
}
