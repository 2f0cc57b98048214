package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.report.JsonText;

/**
 * A minimal streaming JSON writer (the agent bundles no JSON library): objects, arrays, strings,
 * numbers, booleans, with the commas placed for the caller. Output is compact, one line.
 */
public final class JsonWriter {
  private final StringBuilder out = new StringBuilder(1024);

  /** Per nesting level: whether the next value needs a comma first. */
  private boolean[] needsComma = new boolean[16];

  private int depth;
  private boolean afterName;

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

  private void string(String s) {
    JsonText.appendQuoted(out, s);
  }
}
