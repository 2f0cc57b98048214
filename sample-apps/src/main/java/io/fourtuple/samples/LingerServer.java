package io.fourtuple.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * An NIO server with one selector thread that sets {@code SO_LINGER} to 1000 on every accepted
 * channel, thinking milliseconds, and closes each connection after writing its response. One client
 * sends a request and then stops reading for a while; the server's close of that connection blocks
 * (the unit is seconds: up to 16 min 40 s, until the client reads), and with it the selector
 * thread, so every other client waits: a keep-alive client counts the requests served per second
 * before and during the stall. The same run with the agent's {@code linger.policy=fix} keeps
 * serving, and the slow client, once it reads, still gets every byte.
 *
 * <p>How the server closes matters, and is an option. {@code deregistered} (the default) cancels
 * the key and lets the selector flush it before closing, as servers do that finish a connection
 * outside the selector's key set; {@code registered} closes the channel while its key is still
 * registered. JDK 11 and later defer the close of a registered non-blocking channel and switch its
 * linger off themselves, so only JDK 8 blocks in that mode; every JDK blocks in the default one.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.LingerServer \
 *     [--linger 1000] [--close deregistered|registered] [--response-bytes 131072] \
 *     [--warmup-seconds 1] [--stall-seconds 4]
 * </pre>
 *
 * Last line: {@code RESULT linger=1000 lingerReadBack=1000 ... slowCloseMillis=4003
 * slowBytes=131072 slowIntact=true fastPerSecondBefore=850 fastDuringStall=0 ...}.
 */
public final class LingerServer {
  private final int linger;
  private final boolean closeDeregistered;
  private final byte[] response;
  private final Selector selector;
  private final ServerSocketChannel listener;

  /** Close time of the connection that asked for {@code /large} (the slow client's), or -1. */
  private final AtomicLong largeCloseMillis = new AtomicLong(-1);

  private final AtomicInteger lingerReadBack = new AtomicInteger(Integer.MIN_VALUE);
  private volatile boolean running = true;

  private LingerServer(int linger, boolean closeDeregistered, byte[] response) throws IOException {
    this.linger = linger;
    this.closeDeregistered = closeDeregistered;
    this.response = response;
    this.selector = Selector.open();
    this.listener = ServerSocketChannel.open();
    listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 1024);
    listener.configureBlocking(false);
    listener.register(selector, SelectionKey.OP_ACCEPT);
  }

  public static void main(String[] args) throws Exception {
    int linger = 1000;
    String close = "deregistered";
    int responseBytes = 128 * 1024;
    long warmupMillis = 1000;
    long stallMillis = 4000;
    for (int i = 0; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--linger":
          linger = Integer.parseInt(value);
          break;
        case "--close":
          close = value;
          break;
        case "--response-bytes":
          responseBytes = Integer.parseInt(value);
          break;
        case "--warmup-seconds":
          warmupMillis = (long) (Double.parseDouble(value) * 1000);
          break;
        case "--stall-seconds":
          stallMillis = (long) (Double.parseDouble(value) * 1000);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!close.equals("deregistered") && !close.equals("registered")) {
      throw new IllegalArgumentException("--close must be deregistered or registered: " + close);
    }
    LingerServer server =
        new LingerServer(
            linger, close.equals("deregistered"), LingerApis.Pattern.bytes(responseBytes));
    Thread selectorThread = new Thread(server.new Loop(), "selector");
    selectorThread.setDaemon(true);
    selectorThread.start();
    int port = ((InetSocketAddress) server.listener.getLocalAddress()).getPort();

    int fastBefore = fastClients(port, responseBytes, warmupMillis);

    Socket slow = new Socket("127.0.0.1", port);
    slow.getOutputStream().write("GET /large close\n".getBytes("US-ASCII"));
    slow.getOutputStream().flush();
    // The slow client does not read now: its window fills, the rest waits in the server's send
    // queue.
    int fastDuringStall = fastClients(port, responseBytes, stallMillis);

    CRC32 crc = new CRC32();
    long slowBytes = LingerApis.Pattern.drain(slow.getInputStream(), crc);
    slow.close();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (server.largeCloseMillis.get() < 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    long slowCloseMillis = server.largeCloseMillis.get();
    int fastAfter = fastClients(port, responseBytes, warmupMillis);
    server.running = false;
    server.selector.wakeup();

    System.out.println(
        "RESULT linger="
            + linger
            + " lingerReadBack="
            + server.lingerReadBack.get()
            + " close="
            + close
            + " responseBytes="
            + responseBytes
            + " slowCloseMillis="
            + slowCloseMillis
            + " slowBytes="
            + slowBytes
            + " slowIntact="
            + (slowBytes == responseBytes
                && crc.getValue() == LingerApis.Pattern.crc(responseBytes))
            + " fastBefore="
            + fastBefore
            + " fastPerSecondBefore="
            + fastBefore * 1000 / warmupMillis
            + " fastDuringStall="
            + fastDuringStall
            + " fastPerSecondDuringStall="
            + fastDuringStall * 1000 / stallMillis
            + " fastAfter="
            + fastAfter
            + " stallMillis="
            + stallMillis);
  }

  /**
   * One keep-alive client sending requests one after another for {@code millis} (one connection, so
   * the run needs three ports whatever its rate); returns how many got their full response in time.
   */
  private static int fastClients(int port, int responseBytes, long millis) throws IOException {
    long end = System.nanoTime() + millis * 1_000_000L;
    int completed = 0;
    byte[] buffer = new byte[65536];
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      while (true) {
        long left = (end - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return completed;
        }
        s.setSoTimeout((int) Math.max(1, left));
        out.write("GET /small keep-alive\n".getBytes("US-ASCII"));
        out.flush();
        try {
          long got = 0;
          while (got < responseBytes) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, responseBytes - got));
            if (n < 0) {
              throw new IOException("server closed a keep-alive connection");
            }
            got += n;
          }
        } catch (SocketTimeoutException timedOut) {
          return completed; // the connection is mid-response: drop it
        }
        if (System.nanoTime() < end) {
          completed++;
        }
      }
    }
  }

  /** One connection's state: the request being read and the response being written. */
  private static final class Exchange {
    final ByteBuffer request = ByteBuffer.allocate(256);
    ByteBuffer response;
    boolean closeAfter;
    boolean large;
  }

  /**
   * The selector thread: accept, read a request line, write the response, and close if the request
   * said so ({@code ... close}) or keep the connection for the next one ({@code ... keep-alive}).
   */
  private final class Loop implements Runnable {
    @Override
    public void run() {
      try {
        while (running) {
          selector.select();
          List<SelectionKey> finished = new ArrayList<SelectionKey>();
          Iterator<SelectionKey> it = selector.selectedKeys().iterator();
          while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            try {
              if (key.isAcceptable()) {
                accept();
              } else if (key.isReadable()) {
                read(key, finished);
              } else if (key.isWritable()) {
                write(key, finished);
              }
            } catch (IOException e) {
              finished.add(key);
            }
          }
          finish(finished);
        }
      } catch (IOException e) {
        System.out.println("selector loop failed: " + e);
      }
    }

    private void accept() throws IOException {
      SocketChannel ch = listener.accept();
      if (ch == null) {
        return;
      }
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.SO_LINGER, linger); // "1000 ms" to let the response drain
      lingerReadBack.compareAndSet(
          Integer.MIN_VALUE, ch.getOption(StandardSocketOptions.SO_LINGER));
      ch.register(selector, SelectionKey.OP_READ, new Exchange());
    }

    private void read(SelectionKey key, List<SelectionKey> finished) throws IOException {
      Exchange exchange = (Exchange) key.attachment();
      SocketChannel ch = (SocketChannel) key.channel();
      if (ch.read(exchange.request) < 0) {
        finished.add(key);
        return;
      }
      for (int i = 0; i < exchange.request.position(); i++) {
        if (exchange.request.get(i) == '\n') {
          String line = new String(exchange.request.array(), 0, i, "US-ASCII");
          exchange.request.clear();
          exchange.closeAfter = line.endsWith("close");
          exchange.large = line.contains("/large");
          exchange.response = ByteBuffer.wrap(response);
          key.interestOps(SelectionKey.OP_WRITE);
          write(key, finished);
          return;
        }
      }
    }

    private void write(SelectionKey key, List<SelectionKey> finished) throws IOException {
      Exchange exchange = (Exchange) key.attachment();
      ((SocketChannel) key.channel()).write(exchange.response);
      if (exchange.response.hasRemaining()) {
        return;
      }
      if (exchange.closeAfter) {
        finished.add(key);
      } else {
        key.interestOps(SelectionKey.OP_READ);
      }
    }

    private void finish(List<SelectionKey> finished) throws IOException {
      if (finished.isEmpty()) {
        return;
      }
      for (SelectionKey key : finished) {
        key.cancel();
      }
      if (closeDeregistered) {
        selector.selectNow(); // flushes the cancelled keys: the channels are no longer registered
      }
      for (SelectionKey key : finished) {
        long start = System.nanoTime();
        key.channel().close();
        if (((Exchange) key.attachment()).large) {
          largeCloseMillis.set((System.nanoTime() - start) / 1_000_000L);
        }
      }
    }
  }
}
