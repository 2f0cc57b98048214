package io.fourtuple.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * Sets SO_LINGER through one API path, reads it back through the same API, then writes a response
 * the peer does not read yet and times {@code close()}. The peer starts reading after a stall and
 * checks it got every byte. Shows, per path, what a linger value does to close and what the agent's
 * policy changes.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.LingerApis \
 *     --path socket-setSoLinger|socket-setOption|channel-setOption|adaptor-setSoLinger|adaptor-setOption \
 *     [--linger 1000] [--bytes 131072] [--peer-stall-millis 3000] [--non-blocking true]
 * </pre>
 *
 * {@code --non-blocking true} puts the channel of the {@code channel-setOption} path in
 * non-blocking mode before the set (its writes then spin until the peer reads).
 *
 * <p>Last line: {@code RESULT path=... requested=1000 readBack=1000 closeMillis=2998
 * peerBytes=131072 expectedBytes=131072 peerIntact=true}. {@code readBack=-1} means linger is off.
 * Paths missing on this JDK (Socket.setOption before 9) print {@code RESULT path=...
 * unsupported=true}.
 */
public final class LingerApis {
  private static final SocketOption<Integer> SO_LINGER = StandardSocketOptions.SO_LINGER;

  public static void main(String[] args) throws Exception {
    String path = "channel-setOption";
    int linger = 1000;
    int bytes = 128 * 1024;
    long stallMillis = 3000;
    boolean nonBlocking = false;
    for (int i = 0; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--path":
          path = value;
          break;
        case "--linger":
          linger = Integer.parseInt(value);
          break;
        case "--bytes":
          bytes = Integer.parseInt(value);
          break;
        case "--peer-stall-millis":
          stallMillis = Long.parseLong(value);
          break;
        case "--non-blocking":
          nonBlocking = Boolean.parseBoolean(value);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (path.endsWith("-setOption") && !path.startsWith("channel") && !hasSocketSetOption()) {
      System.out.println("RESULT path=" + path + " unsupported=true");
      return;
    }

    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ServerSocket listener = new ServerSocket(0, 50, loopback);
    InetSocketAddress address = new InetSocketAddress(loopback, listener.getLocalPort());
    byte[] payload = Pattern.bytes(bytes);
    Peer peer = new Peer(listener, stallMillis);
    Thread peerThread = new Thread(peer, "peer");
    peerThread.setDaemon(true);
    peerThread.start();

    int readBack;
    long closeNanos;
    if (path.startsWith("channel")) {
      SocketChannel ch = SocketChannel.open(address);
      ch.configureBlocking(!nonBlocking);
      ch.setOption(SO_LINGER, linger); // channel-setOption
      readBack = ch.getOption(SO_LINGER);
      ByteBuffer buffer = ByteBuffer.wrap(payload);
      while (buffer.hasRemaining()) {
        ch.write(buffer);
      }
      long start = System.nanoTime();
      ch.close();
      closeNanos = System.nanoTime() - start;
    } else {
      Socket socket;
      if (path.startsWith("adaptor")) {
        socket = SocketChannel.open(address).socket();
      } else {
        socket = new Socket(loopback, listener.getLocalPort());
      }
      if (path.endsWith("setSoLinger")) {
        socket.setSoLinger(true, linger); // *-setSoLinger
        readBack = socket.getSoLinger();
      } else {
        Method setOption = Socket.class.getMethod("setOption", SocketOption.class, Object.class);
        setOption.invoke(socket, SO_LINGER, linger); // *-setOption
        Method getOption = Socket.class.getMethod("getOption", SocketOption.class);
        // JDK 9-12 answer Boolean.FALSE, not -1, when linger is off.
        Object value = getOption.invoke(socket, SO_LINGER);
        readBack = value instanceof Integer ? (Integer) value : -1;
      }
      OutputStream out = socket.getOutputStream();
      out.write(payload);
      out.flush();
      long start = System.nanoTime();
      socket.close();
      closeNanos = System.nanoTime() - start;
    }
    peerThread.join();
    listener.close();
    System.out.println(
        "RESULT path="
            + path
            + " requested="
            + linger
            + " readBack="
            + readBack
            + " closeMillis="
            + closeNanos / 1_000_000
            + " peerBytes="
            + peer.received.get()
            + " expectedBytes="
            + bytes
            + " peerIntact="
            + (peer.received.get() == bytes && peer.crc.get() == Pattern.crc(bytes)));
  }

  private static boolean hasSocketSetOption() {
    try {
      Socket.class.getMethod("setOption", SocketOption.class, Object.class);
      return true;
    } catch (NoSuchMethodException java8) {
      return false;
    }
  }

  /** Accepts one connection, does not read for a while, then reads to EOF. */
  static final class Peer implements Runnable {
    final ServerSocket listener;
    final long stallMillis;
    final AtomicLong received = new AtomicLong();
    final AtomicLong crc = new AtomicLong();

    Peer(ServerSocket listener, long stallMillis) {
      this.listener = listener;
      this.stallMillis = stallMillis;
    }

    @Override
    public void run() {
      try (Socket s = listener.accept()) {
        Thread.sleep(stallMillis);
        CRC32 sum = new CRC32();
        long n = Pattern.drain(s.getInputStream(), sum);
        received.set(n);
        crc.set(sum.getValue());
      } catch (IOException | InterruptedException e) {
        System.out.println("peer failed: " + e);
      }
    }
  }

  /** The response bytes: a fixed pattern, so both ends can check them without sharing state. */
  static final class Pattern {
    private Pattern() {}

    static byte[] bytes(int n) {
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        out[i] = (byte) ((i * 31 + (i >>> 8)) % 251);
      }
      return out;
    }

    static long crc(int n) {
      CRC32 sum = new CRC32();
      sum.update(bytes(n));
      return sum.getValue();
    }

    /** Reads to EOF, returning the byte count and adding the bytes to {@code sum}. */
    static long drain(InputStream in, CRC32 sum) throws IOException {
      byte[] buffer = new byte[65536];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        sum.update(buffer, 0, n);
        total += n;
      }
      return total;
    }
  }
}
