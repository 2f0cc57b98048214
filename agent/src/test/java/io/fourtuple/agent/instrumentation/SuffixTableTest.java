package io.fourtuple.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuffixTableTest {
  private final SuffixTable table = new SuffixTable(NettyHooks.all());

  @Test
  void matchesNettyAndItsRelocatedCopies() {
    for (String prefix : new String[] {"", "io/grpc/netty/shaded/", "com/acme/shadow/"}) {
      assertEquals(
          NettyHooks.CHANNEL,
          only(table.match(prefix + "io/netty/channel/epoll/AbstractEpollChannel")));
      assertEquals(
          NettyHooks.UNSAFE,
          only(
              table.match(
                  prefix + "io/netty/channel/epoll/AbstractEpollChannel$AbstractEpollUnsafe")));
      assertEquals(
          NettyHooks.UNIX_SOCKET, only(table.match(prefix + "io/netty/channel/unix/Socket")));
      assertEquals(
          NettyHooks.LINUX_SOCKET,
          only(table.match(prefix + "io/netty/channel/epoll/LinuxSocket")));
    }
  }

  @Test
  void leavesEverythingElse() {
    assertNull(table.match("java/net/Socket"));
    assertNull(table.match("Socket"));
    assertNull(table.match(""));
    // Not at a package boundary.
    assertNull(table.match("com/acme/myio/netty/channel/unix/Socket"));
    assertNull(table.match("io/netty/channel/unix/ServerSocket"));
    assertNull(table.match("io/netty/channel/epoll/AbstractEpollChannelX"));
    assertNull(table.match("io/netty/channel/epoll/EpollSocketChannel"));
    assertNull(table.match("io/netty/channel/kqueue/AbstractKQueueChannel"));
  }

  @Test
  void anEmptyTableMatchesNothing() {
    assertNull(new SuffixTable(List.<TargetType>of()).match("io/netty/channel/unix/Socket"));
  }

  private static String only(List<TargetType> types) {
    assertNotNull(types);
    assertEquals(1, types.size());
    return types.get(0).className();
  }
}
