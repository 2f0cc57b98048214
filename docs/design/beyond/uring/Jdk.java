import java.io.FileDescriptor;
import java.lang.reflect.*;
import java.net.*;
import java.nio.channels.*;
public class Jdk {
  public static void main(String[] a) throws Exception {
    Method setInt = Class.forName("sun.nio.ch.Net").getDeclaredMethod("setIntOption0", FileDescriptor.class, boolean.class, int.class, int.class, int.class, boolean.class); setInt.setAccessible(true);
    Field fdf = Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredField("fd"); fdf.setAccessible(true);
    for (int port : new int[] {7000, 7001}) { ServerSocketChannel s = ServerSocketChannel.open(); s.bind(new InetSocketAddress("127.0.0.1", port)); }
    for (int i = 0; i < 4; i++) {
      SocketChannel c = SocketChannel.open();
      setInt.invoke(null, fdf.get(c), false, 0, 24, 1, false);
      try { c.bind(new InetSocketAddress("127.0.0.1", 0)); c.connect(new InetSocketAddress("127.0.0.1", 7000 + i % 2)); System.out.println("jdk connect " + i + " ok " + c.getLocalAddress()); }
      catch (Exception e) { System.out.println("jdk connect " + i + " FAILED " + e); }
    }
  }
}
