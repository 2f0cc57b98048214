package io.fourtuple.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fourtuple.agent.core.ledger.SetupKind;
import org.junit.jupiter.api.Test;

/** The one per-socket table: one record per socket for the ledger, the linger guard and Netty. */
class SocketRecordsTest {

  @Test
  void oneRecordHoldsTheLedgersPartTheLingerStateAndNettysOwnOption() {
    SocketRecords records = new SocketRecords(10);
    Object socket = new Object();
    SocketRecords.Record followed = records.follow(socket, SetupKind.BIND_PORT_0, true);
    assertTrue(records.ownOption(socket, false));
    assertTrue(records.lingering(socket, Api.SOCKET.ordinal(), 5));
    assertEquals(1, records.size());
    assertSame(followed, records.get(socket));
    assertEquals(SetupKind.BIND_PORT_0, followed.kind());
    assertEquals(Boolean.FALSE, records.ownOption(socket));
    assertEquals(5, records.lingering(socket).seconds());
    assertEquals(1, records.followedCount());
  }

  @Test
  void aLingeringSocketKeepsItsRecordUntilItsCloseReturns() {
    SocketRecords records = new SocketRecords(10);
    Object plain = new Object();
    Object lingering = new Object();
    records.follow(plain, SetupKind.PLAIN_CONNECT, false);
    records.follow(lingering, SetupKind.PLAIN_CONNECT, false);
    records.lingering(lingering, Api.SOCKET.ordinal(), 5);
    SocketRecords.Record r = records.closing(lingering);
    assertTrue(records.unfollow(r));
    assertNotNull(records.closing(plain));
    assertEquals(1, records.size(), "the lingering socket's record waits for its close to end");
    records.lingering(lingering).closeStarts(1);
    assertEquals(1, records.closed(lingering).closeStart());
    assertEquals(0, records.size());
    assertNull(records.closed(lingering), "a second close is not timed again");
  }

  /**
   * Lookups that skip the lock when no record shares the socket's hash slot still find every
   * record, and forget each one exactly when it is closed, with many records sharing slots.
   */
  @Test
  void lookupsWithoutALockFindEveryRecordAndNoClosedOne() {
    SocketRecords records = new SocketRecords(100_000);
    Object[] sockets = new Object[60_000]; // more than the 16,384 slots: slots are shared
    for (int i = 0; i < sockets.length; i++) {
      sockets[i] = new Object();
      assertNotNull(records.follow(sockets[i], SetupKind.PLAIN_CONNECT, false));
    }
    for (int i = 0; i < sockets.length; i += 2) {
      assertNotNull(records.closing(sockets[i]));
    }
    for (int i = 0; i < sockets.length; i++) {
      if (i % 2 == 0) {
        assertNull(records.get(sockets[i]), "closed: " + i);
        assertNull(records.closing(sockets[i]), "closed: " + i);
      } else {
        assertNotNull(records.get(sockets[i]), "open: " + i);
      }
    }
    assertNull(records.get(new Object()), "a socket never seen");
    for (int i = 1; i < sockets.length; i += 2) {
      assertNotNull(records.closing(sockets[i]));
    }
    assertEquals(0, records.size());
    for (Object socket : sockets) {
      assertNull(records.get(socket));
    }
  }

  @Test
  void aCloseAndAReconciliationEndTheLedgersPartOnce() {
    SocketRecords records = new SocketRecords(10);
    SocketRecords.Record r = records.follow(new Object(), SetupKind.PLAIN_CONNECT, false);
    assertTrue(records.unfollow(r));
    assertFalse(records.unfollow(r));
    assertEquals(0, records.followedCount());
  }

  @Test
  void pastItsCapacityNewSocketsAreCountedNotRecorded() {
    SocketRecords records = new SocketRecords(2);
    records.follow(new Object(), SetupKind.PLAIN_CONNECT, false);
    assertTrue(records.lingering(new Object(), Api.SOCKET.ordinal(), 1));
    assertNull(records.follow(new Object(), SetupKind.PLAIN_CONNECT, false));
    assertFalse(records.lingering(new Object(), Api.SOCKET.ordinal(), 1));
    assertFalse(records.ownOption(new Object(), true));
    assertEquals(3, records.untracked());
    assertEquals(2, records.size());
  }

  /** With no ledger thread to expunge them, the hooks do: dead records never fill the table. */
  @Test
  void recordsOfCollectedSocketsMakeRoomWithoutTheLedger() throws Exception {
    SocketRecords records = new SocketRecords(3);
    for (int i = 0; i < 3; i++) {
      assertTrue(records.lingering(new Object(), Api.SOCKET.ordinal(), 5)); // dropped, never closed
    }
    Object kept = new Object();
    long deadline = System.nanoTime() + 10_000_000_000L;
    boolean added;
    while (!(added = records.lingering(kept, Api.SOCKET.ordinal(), 5))
        && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertTrue(added);
    assertEquals(5, records.lingering(kept).seconds());
  }

  @Test
  void aCallSiteSampleWaitsInTheRecordUntilTheConnectOrTheClose() {
    SocketRecords records = new SocketRecords(10);
    Object connects = new Object();
    Object closesFirst = new Object();
    SocketRecords.Record r = records.follow(connects, SetupKind.BIND_PORT_0, true);
    assertTrue(records.putSample(connects, "sample 1"));
    assertTrue(records.putSample(closesFirst, "sample 2"));
    assertEquals(2, records.samples());
    assertSame(r, records.get(connects), "the ledger's record carries the sample");
    assertEquals("sample 1", records.sample(connects));
    assertEquals("sample 1", records.takeSample(connects));
    assertNull(records.takeSample(connects));
    records.closing(closesFirst);
    assertEquals(0, records.samples(), "a socket closed before its connect frees its sample");
    assertEquals(1, records.size());
  }

  @Test
  void anOriginIsTheSocketsSiteUntilItsRecordGoesAndTheirNumberIsBounded() {
    SocketRecords records = new SocketRecords(SocketRecords.MAX_ORIGINS + 10);
    Object socket = new Object();
    Throwable origin = new Throwable("main");
    Throwable here = records.site(socket);
    assertEquals(Thread.currentThread().getName(), here.getMessage(), "no origin: this thread");
    assertTrue(records.putOrigin(socket, origin));
    assertSame(origin, records.site(socket));
    assertTrue(records.putOrigin(socket, new Throwable()), "the first origin stays");
    assertSame(origin, records.site(socket));
    assertEquals(1, records.origins());
    records.closing(socket);
    assertEquals(0, records.origins());
    assertNotSame(origin, records.site(socket));
    Object[] keep = new Object[SocketRecords.MAX_ORIGINS + 1];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = new Object();
      assertEquals(i < SocketRecords.MAX_ORIGINS, records.putOrigin(keep[i], origin), "" + i);
    }
    assertEquals(SocketRecords.MAX_ORIGINS, records.origins());
  }
}
