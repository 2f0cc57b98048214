package io.fourtuple.agent.core.report;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal streaming JSON writer (the agent bundles no JSON library): objects, arrays, strings,
 * numbers, booleans, with the commas placed for the caller. Output is compact, one line. The one
 * writer of the agent: {@code status --json} and the port ledger's report file both use it.
 */
public final class JsonWriter {
  private final StringBuilder out;

  /** Per nesting level: whether the next value needs a comma first. */
  private boolean[] needsComma = new boolean[16];

  private int depth;
  private boolean afterName;

  public JsonWriter() {
    this(1024);
  }

  /** A writer whose buffer starts at {@code capacity} characters (a report of known size). */
  public JsonWriter(int capacity) {
    out = new StringBuilder(capacity);
  }

  public JsonWriter beginObject() {
    return open('{');
  }

  public JsonWriter endObject() {
    return close('}');
  }

  public JsonWriter beginArray() {
    return open('[');
  }

  public JsonWriter endArray() {
    return close(']');
  }

  public JsonWriter name(String name) {
    separate();
    string(name);
    out.append(':');
    afterName = true;
    return this;
  }

  public JsonWriter value(String value) {
    separate();
    if (value == null) {
      out.append("null");
    } else {
      string(value);
    }
    return this;
  }

  public JsonWriter value(long value) {
    separate();
    out.append(value);
    return this;
  }

  public JsonWriter value(boolean value) {
    separate();
    out.append(value);
    return this;
  }

  /** A number with three decimals ({@code 12.500}), as rates are written. */
  public JsonWriter value(double value) {
    separate();
    out.append(String.format(Locale.ROOT, "%.3f", value));
    return this;
  }

  /** A value that is already JSON text (another writer's complete output), written as it is. */
  public JsonWriter rawValue(String json) {
    separate();
    out.append(json);
    return this;
  }

  /** Shorthand for {@code name(n).value(v)}. */
  public JsonWriter field(String name, String value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, long value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, boolean value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, double value) {
    return name(name).value(value);
  }

  /** {@code "name": {"key": count, ...}} in the map's order. */
  public JsonWriter counts(String name, Map<String, Long> values) {
    name(name).beginObject();
    for (Map.Entry<String, Long> e : values.entrySet()) {
      field(e.getKey(), e.getValue().longValue());
    }
    return endObject();
  }

  /** {@code "name": ["a", "b", ...]}. */
  public JsonWriter strings(String name, Iterable<String> values) {
    name(name).beginArray();
    Iterator<String> it = values.iterator();
    while (it.hasNext()) {
      value(it.next());
    }
    return endArray();
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private JsonWriter open(char c) {
    separate();
    out.append(c);
    depth++;
    if (depth == needsComma.length) {
      boolean[] bigger = new boolean[depth * 2];
      System.arraycopy(needsComma, 0, bigger, 0, depth);
      needsComma = bigger;
    }
    needsComma[depth] = false;
    return this;
  }

  private JsonWriter close(char c) {
    out.append(c);
    depth--;
    return this;
  }

  private void separate() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (needsComma[depth]) {
      out.append(',');
    }
    needsComma[depth] = true;
  }

  /** Quotes {@code s}, escaping quotes, backslashes and control characters. */
  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
