package io.fourtuple.agent.core.status;

import io.fourtuple.agent.core.report.JsonWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The sections of a status (or audit) answer, in order, rendered as text or as one JSON object. */
public final class StatusReport {
  private final String title;
  private final List<StatusSection> sections;

  public StatusReport(String title, List<StatusSection> sections) {
    this.title = title;
    this.sections = Collections.unmodifiableList(new ArrayList<StatusSection>(sections));
  }

  public String text() {
    StringBuilder out = new StringBuilder(2048);
    out.append(title).append('\n');
    for (StatusSection s : sections) {
      out.append('\n').append(s.name()).append(":\n");
      try {
        s.writeText(out);
      } catch (RuntimeException e) {
        out.append("  (could not be rendered: ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  public String json() {
    JsonWriter json = new JsonWriter();
    json.beginObject().field("title", title);
    for (StatusSection s : sections) {
      json.name(s.name());
      try {
        s.writeJson(json);
      } catch (RuntimeException e) {
        // The section may have written part of its value; what follows stays parseable only if we
        // stop here, so the whole answer becomes an error object instead.
        return new JsonWriter()
            .beginObject()
            .field("title", title)
            .field("error", "section " + s.name() + " could not be rendered: " + e)
            .endObject()
            .toString();
      }
    }
    return json.endObject().toString();
  }
}
