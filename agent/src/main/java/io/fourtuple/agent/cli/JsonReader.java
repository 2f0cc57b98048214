package io.fourtuple.agent.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON answers of the agents {@code audit --all} and {@code status --all} talked to:
 * objects become {@code Map}, arrays {@code List}, numbers {@code Double}. The text comes from a
 * process this command does not trust, so depth and size are bounded and anything malformed is one
 * {@link IllegalArgumentException}; the accessors answer a default for a missing or mistyped key
 * (agents of another version add and omit keys).
 */
final class JsonReader {
  private static final int MAX_DEPTH = 64;
  private static final int MAX_CHARS = 16 << 20;

  private final String text;
  private int at;

  private JsonReader(String text) {
    this.text = text;
  }

  /** Parses one JSON value that makes up all of {@code text}. */
  static Object parse(String text) {
    if (text.length() > MAX_CHARS) {
      throw new IllegalArgumentException("answer of " + text.length() + " characters");
    }
    JsonReader r = new JsonReader(text);
    Object value = r.value(0);
    r.space();
    if (r.at != text.length()) {
      throw r.error("text after the value");
    }
    return value;
  }

  /** {@code map.get(key)} when {@code map} is an object, else null. */
  static Object get(Object map, String key) {
    return map instanceof Map ? ((Map<?, ?>) map).get(key) : null;
  }

  static String string(Object map, String key, String absent) {
    Object v = get(map, key);
    return v instanceof String ? (String) v : absent;
  }

  static long number(Object map, String key, long absent) {
    Object v = get(map, key);
    return v instanceof Double ? Math.round((Double) v) : absent;
  }

  static List<?> list(Object map, String key) {
    Object v = get(map, key);
    return v instanceof List ? (List<?>) v : Collections.emptyList();
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH);
    }
    space();
    if (at >= text.length()) {
      throw error("end of text");
    }
    char c = text.charAt(at);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> out = new LinkedHashMap<String, Object>();
    at++;
    space();
    if (peek('}')) {
      return out;
    }
    do {
      space();
      if (at >= text.length() || text.charAt(at) != '"') {
        throw error("a key expected");
      }
      String key = string();
      space();
      expect(':');
      out.put(key, value(depth + 1));
      space();
    } while (peek(','));
    expect('}');
    return out;
  }

  private List<Object> array(int depth) {
    List<Object> out = new ArrayList<Object>();
    at++;
    space();
    if (peek(']')) {
      return out;
    }
    do {
      out.add(value(depth + 1));
      space();
    } while (peek(','));
    expect(']');
    return out;
  }

  private String string() {
    at++;
    StringBuilder out = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at >= text.length()) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n':
          out.append('\n');
          break;
        case 't':
          out.append('\t');
          break;
        case 'r':
          out.append('\r');
          break;
        case 'b':
          out.append('\b');
          break;
        case 'f':
          out.append('\f');
          break;
        case 'u':
          if (at + 4 > text.length()) {
            throw error("short \\u escape");
          }
          try {
            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          } catch (NumberFormatException bad) {
            throw error("bad \\u escape");
          }
          at += 4;
          break;
        default:
          out.append(e);
      }
    }
    throw error("unterminated string");
  }

  private Double number() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    try {
      return Double.valueOf(text.substring(start, at));
    } catch (NumberFormatException e) {
      throw error("a value expected");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) {
      throw error("a value expected");
    }
    at += word.length();
    return value;
  }

  private boolean peek(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("'" + c + "' expected");
    }
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("not JSON at character " + at + ": " + what);
  }
}
