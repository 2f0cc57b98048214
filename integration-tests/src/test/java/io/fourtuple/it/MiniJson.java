package io.fourtuple.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader (objects as LinkedHashMap, arrays as List, numbers as Long or Double) and a
 * validator for the subset of JSON Schema that docs/ledger-report.schema.json uses: type,
 * properties, required, items, additionalProperties (false or a schema), enum.
 */
final class MiniJson {
  private final String s;
  private int p;

  private MiniJson(String s) {
    this.s = s;
  }

  static Object parse(String text) {
    MiniJson j = new MiniJson(text);
    Object v = j.value();
    j.space();
    if (j.p != text.length()) {
      throw new IllegalArgumentException("trailing text at " + j.p);
    }
    return v;
  }

  private Object value() {
    space();
    char c = s.charAt(p);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        expect("true");
        return Boolean.TRUE;
      case 'f':
        expect("false");
        return Boolean.FALSE;
      case 'n':
        expect("null");
        return null;
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> out = new LinkedHashMap<>();
    p++;
    space();
    if (s.charAt(p) == '}') {
      p++;
      return out;
    }
    while (true) {
      space();
      String key = string();
      space();
      expect(":");
      out.put(key, value());
      space();
      if (s.charAt(p) == ',') {
        p++;
        continue;
      }
      expect("}");
      return out;
    }
  }

  private List<Object> array() {
    List<Object> out = new ArrayList<>();
    p++;
    space();
    if (s.charAt(p) == ']') {
      p++;
      return out;
    }
    while (true) {
      out.add(value());
      space();
      if (s.charAt(p) == ',') {
        p++;
        continue;
      }
      expect("]");
      return out;
    }
  }

  private String string() {
    expect("\"");
    StringBuilder out = new StringBuilder();
    while (true) {
      char c = s.charAt(p++);
      if (c == '"') {
        return out.toString();
      }
      if (c == '\\') {
        char e = s.charAt(p++);
        switch (e) {
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            out.append((char) Integer.parseInt(s.substring(p, p + 4), 16));
            p += 4;
          }
          default -> out.append(e);
        }
      } else {
        out.append(c);
      }
    }
  }

  private Object number() {
    int start = p;
    while (p < s.length() && "+-0123456789.eE".indexOf(s.charAt(p)) >= 0) {
      p++;
    }
    String n = s.substring(start, p);
    if (n.isEmpty()) {
      throw new IllegalArgumentException("unexpected '" + s.charAt(p) + "' at " + p);
    }
    return n.contains(".") || n.contains("e") || n.contains("E")
        ? (Object) Double.valueOf(n)
        : Long.valueOf(n);
  }

  private void expect(String word) {
    if (!s.startsWith(word, p)) {
      throw new IllegalArgumentException("expected " + word + " at " + p);
    }
    p += word.length();
  }

  private void space() {
    while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
      p++;
    }
  }

  /** Problems of {@code value} against {@code schema} (empty when it conforms). */
  @SuppressWarnings("unchecked")
  static List<String> validate(Object value, Map<String, Object> schema, String path) {
    List<String> problems = new ArrayList<>();
    Object type = schema.get("type");
    if (type != null) {
      List<Object> types = type instanceof List ? (List<Object>) type : List.of(type);
      boolean ok = false;
      for (Object t : types) {
        ok |= is(value, (String) t);
      }
      if (!ok) {
        problems.add(path + ": " + describe(value) + " is not " + types);
        return problems;
      }
    }
    if (schema.containsKey("enum") && !((List<Object>) schema.get("enum")).contains(value)) {
      problems.add(path + ": " + value + " not in " + schema.get("enum"));
    }
    if (value instanceof Map) {
      Map<String, Object> object = (Map<String, Object>) value;
      Map<String, Object> properties =
          (Map<String, Object>) schema.getOrDefault("properties", Map.of());
      for (Object required : (List<Object>) schema.getOrDefault("required", List.of())) {
        if (!object.containsKey(required)) {
          problems.add(path + ": missing " + required);
        }
      }
      Object additional = schema.get("additionalProperties");
      for (Map.Entry<String, Object> e : object.entrySet()) {
        Map<String, Object> sub = (Map<String, Object>) properties.get(e.getKey());
        if (sub != null) {
          problems.addAll(validate(e.getValue(), sub, path + "." + e.getKey()));
        } else if (Boolean.FALSE.equals(additional)) {
          problems.add(path + ": undocumented key " + e.getKey());
        } else if (additional instanceof Map) {
          problems.addAll(
              validate(e.getValue(), (Map<String, Object>) additional, path + "." + e.getKey()));
        }
      }
    }
    if (value instanceof List && schema.get("items") instanceof Map) {
      List<Object> items = (List<Object>) value;
      for (int i = 0; i < items.size(); i++) {
        problems.addAll(
            validate(
                items.get(i), (Map<String, Object>) schema.get("items"), path + "[" + i + "]"));
      }
    }
    return problems;
  }

  private static boolean is(Object v, String type) {
    return switch (type) {
      case "object" -> v instanceof Map;
      case "array" -> v instanceof List;
      case "string" -> v instanceof String;
      case "integer" -> v instanceof Long;
      case "number" -> v instanceof Long || v instanceof Double;
      case "boolean" -> v instanceof Boolean;
      case "null" -> v == null;
      default -> throw new IllegalArgumentException("schema type " + type);
    };
  }

  private static String describe(Object v) {
    return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
  }
}
