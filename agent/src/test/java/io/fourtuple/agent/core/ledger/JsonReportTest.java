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
            "\"projected\":6,\"runsOutInSeconds\":-1,\"sustainablePerSecond\":-1",
            "\"findings\":[]")) {
      assertTrue(json.contains(key), key + " in " + json);
    }
    assertEquals(
        json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
  }

  @Test
  void theForecastIsInTheHeadroomObject() {
    // Two more held connections every 10 s (as in HeadroomWarningsTest): at t=20 s a forecast.
    PortLedger ledger = new PortLedger(10, 100, 100);
    List<Object> sockets = new ArrayList<>();
    LedgerReport.Context c = new LedgerReport.Context(false, true, null);
    HeadroomWarningsTest.report(ledger, sockets, 2, c, 10_000_000_000L);
    LedgerReport r = HeadroomWarningsTest.report(ledger, sockets, 4, c, 20_000_000_000L);
    LedgerReport.Row row = r.rows.get(0);
    assertTrue(row.etaSeconds > 0 && row.etaSeconds < 60, "ETA " + row.etaSeconds);
    String json = JsonReport.toJson(r, 42);
    String key = "\"runsOutInSeconds\":" + row.etaSeconds + ",\"sustainablePerSecond\":0.1";
    assertTrue(json.contains(key), key + " in " + json);
    assertTrue(SummaryTable.body(r).contains(" ~" + row.etaSeconds + " s "), SummaryTable.body(r));
  }
}
