package io.fourtuple.agent.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.connect.ConnectFailure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonReportTest {
  @Test
  void reportIsJsonWithTheDocumentedTopLevelKeys() {
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    ledger.connectFailed(
        null, HeadroomWarningsTest.DEST, null, ConnectFailure.ADDRESS_NOT_AVAILABLE);
    LedgerReport r =
        HeadroomWarningsTest.report(
            ledger, sockets, 4, new LedgerReport.Context(false, true, null));
    String json = JsonReport.toJson(r, 42);
    assertTrue(json.startsWith("{\"schema\":\"fourtuple.ledger/1\""), json);
    for (String key :
        List.of(
            "\"range\":{\"low\":60000",
            "\"kernel\":{\"available\":true",
            "\"totals\":{\"destinations\":1",
            "\"destination\":\"10.0.0.1:443\"",
            "\"failures\":{\"EADDRNOTAVAIL (Cannot assign requested address)\":1}",
            "\"headroom\":{\"model\":\"per-destination\",\"pool\":10,\"used\":4",
            "\"findings\":[]")) {
      assertTrue(json.contains(key), key + " in " + json);
    }
    assertEquals(
        json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
  }
}
