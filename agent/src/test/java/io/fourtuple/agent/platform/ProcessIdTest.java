package io.fourtuple.agent.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProcessIdTest {
  @Test
  void isThisProcess() {
    assertEquals(ProcessHandle.current().pid(), ProcessId.current());
    assertEquals(Long.toString(ProcessHandle.current().pid()), ProcessId.text());
  }
}
