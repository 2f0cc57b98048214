package io.fourtuple.agent.core.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
