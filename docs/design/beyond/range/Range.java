import java.io.FileDescriptor;
import java.lang.reflect.*;
import java.net.*;
import java.nio.channels.*;
import java.util.*;

/** IP_LOCAL_PORT_RANGE (IPPROTO_IP=0, 51) through sun.nio.ch.Net.setIntOption0, the agent's own mechanism. */
public class Range {
  static Method setInt, getInt; static Field fdField;
  static void set(SocketChannel c, int opt, int v) throws Exception { setInt.invoke(null, fdField.get(c), false, 0, opt, v, false); }
  static int get(SocketChannel c, int opt) throws Exception { return (Integer) getInt.invoke(null, fdField.get(c), false, 0, opt); }
  public static void main(String[] a) throws Exception {
    setInt = Class.forName("sun.nio.ch.Net").getDeclaredMethod("setIntOption0", FileDescriptor.class, boolean.class, int.class, int.class, int.class, boolean.class); setInt.setAccessible(true);
    getInt = Class.forName("sun.nio.ch.Net").getDeclaredMethod("getIntOption0", FileDescriptor.class, boolean.class, int.class, int.class); getInt.setAccessible(true);
    fdField = Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredField("fd"); fdField.setAccessible(true);
    List<Object> keep = new ArrayList<>();
    for (int p = 7000; p < 7004; p++) { ServerSocketChannel s = ServerSocketChannel.open(); s.bind(new InetSocketAddress("127.0.0.1", p), 512); keep.add(s); }
    int slice = 40019 << 16 | 40010;
    run("A connect without bind, slice 40010-40019", 12, 7000, keep, c -> set(c, 51, slice), null);
    run("B bind(127.0.0.1:0)+IP_BIND_ADDRESS_NO_PORT, slice", 12, 7001, keep, c -> { set(c, 51, slice); set(c, 24, 1); }, new InetSocketAddress("127.0.0.1", 0));
    run("C bind(127.0.0.1:0) without NO_PORT, slice (new dest)", 3, 7002, keep, c -> set(c, 51, slice), new InetSocketAddress("127.0.0.1", 0));
    run("D slice 50000-50009, outside netns range 40000-40039", 3, 7003, keep, c -> set(c, 51, 50009 << 16 | 50000), null);
    run("E lo>hi (40019-40010)", 1, 7003, keep, c -> set(c, 51, 40010 << 16 | 40019), null);
    run("F slice 40030-40060, partly outside", 3, 7003, keep, c -> set(c, 51, 40060 << 16 | 40030), null);
  }
  interface Prep { void on(SocketChannel c) throws Exception; }
  static void run(String what, int n, int port, List<Object> keep, Prep prep, InetSocketAddress bind) {
    StringBuilder ports = new StringBuilder(); String fail = null; int ok = 0;
    for (int i = 0; i < n; i++) {
      try {
        SocketChannel c = SocketChannel.open(); keep.add(c);
        prep.on(c);
        if (i == 0) ports.append("[getsockopt(51)=0x").append(Integer.toHexString(get(c, 51))).append("] ");
        if (bind != null) c.bind(bind);
        c.connect(new InetSocketAddress("127.0.0.1", port));
        ports.append(((InetSocketAddress) c.getLocalAddress()).getPort()).append(' '); ok++;
      } catch (Exception e) { fail = "#" + (i + 1) + ": " + (e instanceof InvocationTargetException ? "setsockopt: " + e.getCause() : e.toString()); break; }
    }
    System.out.println(what + ": " + ok + "/" + n + " ok, local ports " + ports + (fail == null ? "" : " then " + fail));
  }
}
