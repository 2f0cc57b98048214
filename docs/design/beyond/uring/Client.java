import io.netty.bootstrap.Bootstrap;
import io.netty.channel.*;
import io.netty.channel.uring.*;
import java.net.*;
import java.util.*;

public class Client {
  public static void main(String[] a) throws Exception {
    System.out.println("IoUring.isAvailable()=" + IoUring.isAvailable() + " cause=" + IoUring.unavailabilityCause());
    ServerSocket ss = new ServerSocket();
    ss.bind(new InetSocketAddress("127.0.0.1", 7000), 512);
    List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
    Thread t = new Thread(() -> { try { while (true) accepted.add(ss.accept()); } catch (Exception e) {} });
    t.setDaemon(true); t.start();
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
    Bootstrap b = new Bootstrap().group(g).channel(IoUringSocketChannel.class)
        .option(ChannelOption.SO_LINGER, 1000)
        .handler(new ChannelInitializer<Channel>() { protected void initChannel(Channel c) {} });
    int n = Integer.parseInt(a.length > 0 ? a[0] : "3");
    List<Channel> chans = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ChannelFuture f = b.connect(new InetSocketAddress("127.0.0.1", 7000), new InetSocketAddress("127.0.0.1", 0)).await();
      if (f.isSuccess()) { chans.add(f.channel()); System.out.println("connect " + i + " ok local=" + f.channel().localAddress() + " class=" + f.channel().getClass().getName()); }
      else System.out.println("connect " + i + " FAILED: " + f.cause());
    }
    Process p = new ProcessBuilder("ss", "-tanpe", "state", "all", "( dport = :7000 )").inheritIO().start(); p.waitFor();
    for (Channel c : chans) c.close().await();
    g.shutdownGracefully().await();
  }
}
