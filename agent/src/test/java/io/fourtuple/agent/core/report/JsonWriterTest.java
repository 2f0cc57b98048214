package io.fourtuple.agent.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {
  @Test
  void commasAndNestingAreRight() {
    JsonWriter j = new JsonWriter();
    j.beginObject().field("a", 1).field("b", "x").name("c").beginArray().value(true).value("y");
    j.beginObject().endObject().endArray().name("d").beginObject().field("e", (String) null);
    j.endObject().endObject();
    assertEquals("{\"a\":1,\"b\":\"x\",\"c\":[true,\"y\",{}],\"d\":{\"e\":null}}", j.toString());
  }

  @Test
  void stringsAreEscaped() {
    assertEquals(
        "[\"q\\\"b\\\\n\\nt\\t\\u0001\"]",
        new JsonWriter().beginArray().value("q\"b\\n\nt\t\u0001").endArray().toString());
  }

  @Test
  void deepNestingGrowsTheStack() {
    JsonWriter j = new JsonWriter();
    for (int i = 0; i < 40; i++) {
      j.beginArray().value(i);
    }
    for (int i = 0; i < 40; i++) {
      j.endArray();
    }
    assertEquals('[', j.toString().charAt(0));
    assertEquals("[0,[1,[2,", j.toString().substring(0, 9));
  }

  @Test
  void countsStringsAndRatesAsTheLedgerReportWritesThem() {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("EADDRINUSE", 3L);
    counts.put("EADDRNOTAVAIL", 0L);
    JsonWriter j = new JsonWriter(16).beginObject();
    j.counts("failures", counts).strings("sources", List.of("10.0.0.1", "::1"));
    j.counts("none", Map.of()).strings("empty", List.of());
    j.field("ratePerSecond", 12.5).field("zero", 0.0).endObject();
    assertEquals(
        "{\"failures\":{\"EADDRINUSE\":3,\"EADDRNOTAVAIL\":0},\"sources\":[\"10.0.0.1\",\"::1\"],"
            + "\"none\":{},\"empty\":[],\"ratePerSecond\":12.500,\"zero\":0.000}",
        j.toString());
  }
}
