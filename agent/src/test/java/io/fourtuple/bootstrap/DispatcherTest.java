package io.fourtuple.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard every entry goes through, and the values the woven SO_LINGER hooks store back. */
class DispatcherTest {

  private static int on(long packed) {
    return (int) (packed >>> 32);
  }

  private static int seconds(long packed) {
    return (int) packed;
  }

  @Test
  void withoutHooksEveryValueComesBackUnchanged() {
    for (int value : new int[] {0, 1, 1000, -5, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      for (boolean flag : new boolean[] {true, false}) {
        long packed = Dispatcher.setSoLinger(new Object(), flag, value, SocketHooks.API_SOCKET);
        assertEquals(flag ? 1 : 0, on(packed));
        assertEquals(value, seconds(packed));
      }
    }
    Integer boxed = 1000;
    assertSame(
        boxed, Dispatcher.setOption(new Object(), StandardSocketOptions.SO_LINGER, boxed, 2));
  }

  @Test
  void theHooksAnswerIsStoredBackAndAFailureChangesNothing() {
    Recording hooks = new Recording();
    Dispatcher.install(hooks);
    try {
      hooks.answer = Long.valueOf(5);
      assertEquals(5, Dispatcher.setSoLinger(new Object(), true, 1000, 1));
      hooks.answer = Integer.valueOf(5);
      assertEquals(5, Dispatcher.setOption(new Object(), StandardSocketOptions.SO_LINGER, 1000, 2));

      hooks.fail = true;
      long unchanged = Dispatcher.setSoLinger(new Object(), true, 1000, 1);
      assertEquals(1, on(unchanged));
      assertEquals(1000, seconds(unchanged));
      Integer boxed = 1000;
      assertSame(
          boxed, Dispatcher.setOption(new Object(), StandardSocketOptions.SO_LINGER, boxed, 2));
      assertEquals(2, hooks.errors.size());
    } finally {
      Dispatcher.reset();
    }
  }

  @Test
  void aHookThatReachesTheDispatcherAgainDoesNotReenter() {
    Recording hooks = new Recording();
    hooks.reenter = true;
    Dispatcher.install(hooks);
    try {
      Dispatcher.close(new Object(), SocketHooks.API_SOCKET, SocketHooks.CLOSING);
      assertEquals(List.of(SocketHooks.CLOSING), hooks.events);
      // The flag is cleared on the way out: the application's next call arrives.
      Dispatcher.close(new Object(), SocketHooks.API_SOCKET, SocketHooks.CLOSING);
      assertEquals(2, hooks.events.size());
    } finally {
      Dispatcher.reset();
    }
  }

  @Test
  void localReadsArriveOnlyForADeferredPort() {
    Recording hooks = new Recording();
    Dispatcher.install(hooks);
    try {
      InetAddress lo = InetAddress.getLoopbackAddress();
      int socket = SocketHooks.API_SOCKET;
      Dispatcher.localRead(new Object(), null, 0, socket); // never bound
      Dispatcher.localRead(new Object(), lo, 40000, socket);
      Dispatcher.localRead(new Object(), new InetSocketAddress(lo, 40000), 0, 2);
      assertEquals(List.of(), hooks.events);
      Dispatcher.localRead(new Object(), lo, 0, socket);
      Dispatcher.localRead(new Object(), new InetSocketAddress(lo, 0), 0, 2);
      assertEquals(List.of(SocketHooks.LOCAL_READ, SocketHooks.LOCAL_READ), hooks.events);
    } finally {
      Dispatcher.reset();
    }
  }

  private static final class Recording implements SocketHooks {
    final List<Integer> events = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();
    Object answer;
    boolean fail;
    boolean reenter;

    @Override
    public Object on(
        int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag) {
      events.add(event);
      if (fail) {
        throw new IllegalStateException("hook failed");
      }
      if (reenter) {
        Dispatcher.close(new Object(), api, SocketHooks.CLOSING);
      }
      return answer;
    }

    @Override
    public boolean observesBoundPorts() {
      return false;
    }

    @Override
    public void onInternalError(String where, Throwable error) {
      errors.add(error);
    }
  }
}
