import io.netty.bootstrap.Bootstrap;
import io.netty.channel.*;
import io.netty.channel.uring.*;
import java.io.FileDescriptor;
import java.lang.reflect.Method;
import java.net.*;
import java.util.*;

public class Client2 {
  static Method newFD, setInt;
  public static void main(String[] a) throws Exception {
    boolean noPort = a[0].equals("noport");
    newFD = Class.forName("sun.nio.ch.IOUtil").getDeclaredMethod("newFD", int.class); newFD.setAccessible(true);
    setInt = Class.forName("sun.nio.ch.Net").getDeclaredMethod("setIntOption0", FileDescriptor.class, boolean.class, int.class, int.class, int.class, boolean.class); setInt.setAccessible(true);
    List<ServerSocket> servers = new ArrayList<>();
    for (int port : new int[] {7000, 7001}) {
      ServerSocket ss = new ServerSocket(); ss.bind(new InetSocketAddress("127.0.0.1", port), 512); servers.add(ss);
      Thread t = new Thread(() -> { List<Socket> keep = new ArrayList<>(); try { while (true) keep.add(ss.accept()); } catch (Exception e) {} });
      t.setDaemon(true); t.start();
    }
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
    Bootstrap b = new Bootstrap().group(g).channel(IoUringSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() { protected void initChannel(Channel c) throws Exception {
          if (noPort) { // what the agent would do at the bind: IPPROTO_IP(0), IP_BIND_ADDRESS_NO_PORT(24) = 1
            int fd = ((IoUringSocketChannel) c).fd().intValue();
            setInt.invoke(null, newFD.invoke(null, fd), false, 0, 24, 1, false);
          }
        }});
    int ok = 0;
    for (int i = 0; i < 4; i++) {
      ChannelFuture f = b.connect(new InetSocketAddress("127.0.0.1", 7000 + i % 2), new InetSocketAddress("127.0.0.1", 0)).await();
      if (f.isSuccess()) { ok++; System.out.println(a[0] + " connect " + i + " ok " + f.channel().localAddress() + " -> " + f.channel().remoteAddress()); }
      else System.out.println(a[0] + " connect " + i + " FAILED: " + f.cause());
    }
    System.out.println(a[0] + ": " + ok + " of 4 connected");
    g.shutdownGracefully().await();
  }
}
