package io.fourtuple.agent.core.report;

import java.util.Locale;

/** JSON string quoting shared by the agent's two JSON writers (status and the ledger report). */
public final class JsonText {
  private JsonText() {}

  /**
   * Appends {@code s} as a quoted JSON string, escaping quotes, backslashes and control characters.
   */
  public static void appendQuoted(StringBuilder out, String s) {
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
