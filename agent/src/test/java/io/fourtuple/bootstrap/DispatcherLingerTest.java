package io.fourtuple.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import org.junit.jupiter.api.Test;

/** The packing and value rewriting the woven SO_LINGER hooks rely on. */
class DispatcherLingerTest {

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
        long packed = Dispatcher.socketSetSoLinger(new Object(), flag, value);
        assertEquals(flag ? 1 : 0, on(packed));
        assertEquals(value, seconds(packed));
      }
    }
    Integer boxed = 1000;
    assertSame(
        boxed, Dispatcher.setOptionValue(new Object(), StandardSocketOptions.SO_LINGER, boxed, 2));
  }

  @Test
  void theHooksAnswerIsStoredBack() {
    Fixed hooks = new Fixed();
    Dispatcher.install(hooks);
    try {
      hooks.answer = SocketHooks.LINGER_OFF;
      long off = Dispatcher.socketSetSoLinger(new Object(), true, 1000);
      assertEquals(0, on(off));
      assertEquals(1000, seconds(off));
      assertEquals(
          -1, Dispatcher.setOptionValue(new Object(), StandardSocketOptions.SO_LINGER, 1000, 2));

      hooks.answer = 5;
      long clamped = Dispatcher.socketSetSoLinger(new Object(), true, 1000);
      assertEquals(1, on(clamped));
      assertEquals(5, seconds(clamped));
      assertEquals(
          5, Dispatcher.setOptionValue(new Object(), StandardSocketOptions.SO_LINGER, 1000, 2));

      // Other options and non-Integer values never reach the hooks.
      hooks.calls = 0;
      Object noDelay = Boolean.TRUE;
      assertSame(
          noDelay,
          Dispatcher.setOptionValue(new Object(), StandardSocketOptions.TCP_NODELAY, noDelay, 2));
      assertSame(
          "x", Dispatcher.setOptionValue(new Object(), StandardSocketOptions.SO_LINGER, "x", 2));
      assertEquals(0, hooks.calls);

      // A hook that throws leaves the application's value alone.
      hooks.fail = true;
      assertEquals(1000, seconds(Dispatcher.socketSetSoLinger(new Object(), true, 1000)));
      assertEquals(1, on(Dispatcher.socketSetSoLinger(new Object(), true, 1000)));
    } finally {
      Dispatcher.reset();
    }
  }

  private static final class Fixed implements SocketHooks {
    volatile int answer;
    volatile int calls;
    volatile boolean fail;

    @Override
    public int beforeSetLinger(int api, Object socket, boolean on, int seconds) {
      calls++;
      if (fail) {
        throw new IllegalStateException("boom");
      }
      return answer;
    }

    @Override
    public void beforeClose(Object socket) {}

    @Override
    public void beforeClose(int api, Object socket) {}

    @Override
    public void afterClose(Object socket) {}

    @Override
    public void beforeSocketBind(
        Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server) {}

    @Override
    public void beforeChannelBind(
        Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {}

    @Override
    public void beforeChannelBind(
        int api, Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {}

    @Override
    public void afterBindFailure(int api, Object socket, Object local, Throwable thrown) {}

    @Override
    public void afterConnect(
        int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {}

    @Override
    public void onInternalError(String where, Throwable error) {}
  }
}
