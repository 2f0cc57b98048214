package io.fourtuple.agent.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ControlRequestTest {
  @Test
  void plainConfigurationIsAnAttachWithEverythingPassedOn() {
    ControlRequest r = ControlRequest.parse("mode=audit,log.level=debug");
    assertEquals(ControlRequest.Command.ATTACH, r.command());
    assertEquals("mode=audit,log.level=debug", r.configArgs());
    assertNull(r.reply());
    assertNull(r.problem());
    assertFalse(r.json());
  }

  @Test
  void controlKeysAreSplitOffInAnyOrder() {
    ControlRequest r =
        ControlRequest.parse(
            "mode=audit, command=STATUS ,reply=/tmp/x/reply,format=json,strict=true");
    assertEquals(ControlRequest.Command.STATUS, r.command());
    assertEquals("/tmp/x/reply", r.reply());
    assertTrue(r.json());
    assertEquals("mode=audit,strict=true", r.configArgs());
  }

  @Test
  void noArgumentsMeanAttachWithNothingToParse() {
    assertEquals(ControlRequest.Command.ATTACH, ControlRequest.parse(null).command());
    assertNull(ControlRequest.parse("").configArgs());
  }

  @Test
  void badControlValuesAreReportedNotThrownAndTheReplyPathIsKept() {
    ControlRequest r = ControlRequest.parse("command=explode,reply=/tmp/r");
    assertEquals(
        "agent argument command='explode' is not valid: expected attach, status, report or detach",
        r.problem());
    assertEquals("/tmp/r", r.reply());
    assertTrue(ControlRequest.parse("format=xml").problem().contains("format='xml'"));
    assertTrue(ControlRequest.parse("reply=").problem().contains("needs a file path"));
  }
}
