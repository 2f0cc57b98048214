package io.fourtuple.agent.core.ledger;

import io.fourtuple.agent.core.report.JsonText;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The few pieces of JSON writing the report needs: no library, so nothing to shade or clash with.
 */
final class Json {
  private final StringBuilder out;
  private boolean first = true;

  Json(StringBuilder out) {
    this.out = out;
  }

  Json begin() {
    out.append('{');
    first = true;
    return this;
  }

  Json end() {
    out.append('}');
    first = false;
    return this;
  }

  Json key(String name) {
    if (!first) {
      out.append(',');
    }
    first = true;
    string(name);
    out.append(':');
    return this;
  }

  Json field(String name, String value) {
    key(name);
    if (value == null) {
      out.append("null");
    } else {
      string(value);
    }
    first = false;
    return this;
  }

  Json field(String name, long value) {
    key(name).out.append(value);
    first = false;
    return this;
  }

  Json field(String name, boolean value) {
    key(name).out.append(value);
    first = false;
    return this;
  }

  Json field(String name, double value) {
    key(name).out.append(String.format(Locale.ROOT, "%.3f", value));
    first = false;
    return this;
  }

  Json counts(String name, Map<String, Long> values) {
    key(name).begin();
    for (Map.Entry<String, Long> e : values.entrySet()) {
      field(e.getKey(), e.getValue().longValue());
    }
    return end();
  }

  Json strings(String name, Iterable<String> values) {
    key(name);
    out.append('[');
    Iterator<String> it = values.iterator();
    while (it.hasNext()) {
      string(it.next());
      if (it.hasNext()) {
        out.append(',');
      }
    }
    out.append(']');
    first = false;
    return this;
  }

  Json nullField(String name) {
    key(name).out.append("null");
    first = false;
    return this;
  }

  /**
   * Starts an array value; elements are written with {@link #element()} and closed by {@link
   * #close}.
   */
  Json array(String name) {
    key(name).out.append('[');
    first = true;
    return this;
  }

  Json element() {
    if (!first) {
      out.append(',');
    }
    first = true;
    return this;
  }

  Json closeArray() {
    out.append(']');
    first = false;
    return this;
  }

  private void string(String s) {
    JsonText.appendQuoted(out, s);
  }
}
