import io.netty.bootstrap.Bootstrap;
import io.netty.channel.*;
import io.netty.incubator.channel.uring.*;
import java.net.*;
public class Inc {
  public static void main(String[] a) throws Exception {
    System.out.println("IOUring.isAvailable()=" + IOUring.isAvailable() + " cause=" + IOUring.unavailabilityCause());
    ServerSocket ss = new ServerSocket(); ss.bind(new InetSocketAddress("127.0.0.1", 7000));
    EventLoopGroup g = new IOUringEventLoopGroup(1);
    Bootstrap b = new Bootstrap().group(g).channel(IOUringSocketChannel.class).handler(new ChannelInitializer<Channel>() { protected void initChannel(Channel c) {} });
    for (int i = 0; i < 3; i++) { ChannelFuture f = b.connect(new InetSocketAddress("127.0.0.1", 7000), new InetSocketAddress("127.0.0.1", 0)).await();
      System.out.println("incubator connect " + i + (f.isSuccess() ? " ok " + f.channel().localAddress() : " FAILED " + f.cause())); }
    g.shutdownGracefully().await();
  }
}
