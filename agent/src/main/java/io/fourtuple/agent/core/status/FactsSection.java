package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.report.JsonWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A section of plain facts: {@code key: value} lines, plus lists (woven classes, problems). */
public final class FactsSection implements StatusSection {
  private final String name;
  private final Map<String, Object> facts = new LinkedHashMap<String, Object>();

  public FactsSection(String name) {
    this.name = name;
  }

  public FactsSection put(String key, String value) {
    facts.put(key, value);
    return this;
  }

  public FactsSection put(String key, long value) {
    facts.put(key, Long.valueOf(value));
    return this;
  }

  public FactsSection put(String key, List<String> values) {
    facts.put(key, values);
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void writeText(StringBuilder out) {
    for (Map.Entry<String, Object> e : facts.entrySet()) {
      Object v = e.getValue();
      if (v instanceof List) {
        List<?> list = (List<?>) v;
        out.append("  ").append(e.getKey()).append(": ");
        out.append(list.isEmpty() ? "none" : String.valueOf(list.size())).append('\n');
        for (Object item : list) {
          out.append("    ").append(item).append('\n');
        }
      } else {
        out.append("  ").append(e.getKey()).append(": ").append(v).append('\n');
      }
    }
  }

  @Override
  public void writeJson(JsonWriter json) {
    json.beginObject();
    for (Map.Entry<String, Object> e : facts.entrySet()) {
      Object v = e.getValue();
      json.name(e.getKey());
      if (v instanceof Long) {
        json.value(((Long) v).longValue());
      } else if (v instanceof List) {
        json.beginArray();
        for (Object item : (List<?>) v) {
          json.value(String.valueOf(item));
        }
        json.endArray();
      } else {
        json.value(v == null ? null : String.valueOf(v));
      }
    }
    json.endObject();
  }
}
