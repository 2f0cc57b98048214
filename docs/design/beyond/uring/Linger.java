import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.uring.*;
import java.net.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

public class Linger {
  public static void main(String[] a) throws Exception {
    ServerSocket ss = new ServerSocket(); ss.setReceiveBufferSize(4096); ss.bind(new InetSocketAddress("127.0.0.1", 7000));
    Thread t = new Thread(() -> { try { Socket s = ss.accept(); Thread.sleep(60000); } catch (Exception e) {} }); t.setDaemon(true); t.start();
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
    Bootstrap b = new Bootstrap().group(g).channel(IoUringSocketChannel.class)
        .option(ChannelOption.SO_LINGER, Integer.parseInt(a[0])).option(ChannelOption.SO_SNDBUF, 8192)
        .handler(new ChannelInitializer<Channel>() { protected void initChannel(Channel c) {} });
    Channel c = b.connect(new InetSocketAddress("127.0.0.1", 7000)).sync().channel();
    c.writeAndFlush(Unpooled.wrappedBuffer(new byte[8 << 20]));
    Thread.sleep(500);
    AtomicLong last = new AtomicLong(System.nanoTime()), maxGap = new AtomicLong();
    c.eventLoop().scheduleAtFixedRate(() -> { long n = System.nanoTime(); maxGap.accumulateAndGet(n - last.getAndSet(n), Math::max); }, 20, 20, TimeUnit.MILLISECONDS);
    Thread.sleep(200); maxGap.set(0);
    long t0 = System.nanoTime();
    c.close().sync();
    long closeMs = (System.nanoTime() - t0) / 1_000_000;
    Thread.sleep(Integer.parseInt(a[0]) * 1000L + 1000);
    System.out.println("SO_LINGER=" + a[0] + ": close future done after " + closeMs + " ms; event loop max gap over the next " + (Integer.parseInt(a[0]) + 1) + " s: " + maxGap.get() / 1_000_000 + " ms");
    new ProcessBuilder("ss", "-tan", "( sport = :7000 or dport = :7000 )").inheritIO().start().waitFor();
    System.exit(0);
  }
}
