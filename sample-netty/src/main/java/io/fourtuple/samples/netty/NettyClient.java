package io.fourtuple.samples.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Promise;
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Netty client (epoll by default; io_uring or NIO with {@code --transport}) that pins its source
 * address, as clients configured with a local address do ({@code Bootstrap.localAddress(ip, 0)},
 * then {@code connect(remote)}): it starts its own listeners on {@code destinations} local ports,
 * opens {@code attempts} connections to each and holds them, sending 4 bytes over each and waiting
 * for their echo to prove it works.
 *
 * <p>Without IP_BIND_ADDRESS_NO_PORT every bind reserves a port for all destinations, so the run
 * gets at most the ephemeral range in total; with it, each destination gets the whole range. Netty
 * is not packaged: put a Netty (4.1 or 4.2, with {@code netty-transport-native-epoll:linux-x86_64})
 * on the class path.
 *
 * <pre>
 * java -cp fourtuple-sample-netty.jar:netty/* io.fourtuple.samples.netty.NettyClient \
 *     [--destinations 10] [--attempts 12] [--base-port 21000] [--source 127.0.0.1]
 *     [--bind-first] [--own-option true|false] [--linger N] [--netty-servers]
 *     [--server-port-zero] [--mbean] [--attach-agent fourtuple-agent.jar]
 *     [--read-port-after-bind] [--transport epoll|io_uring|io_uring-incubator|nio] [--unsent-close]
 *     [--no-local]
 * </pre>
 *
 * <ul>
 *   <li>{@code --no-local}: {@code connect(remote)} with no local address (the kernel picks the
 *       port at connect), for port slices.
 *   <li>{@code --bind-first}: {@code channel.bind(local)} then {@code connect(remote)}, instead of
 *       {@code connect(remote, local)}.
 *   <li>{@code --read-port-after-bind}: with {@code --bind-first}, reads {@code
 *       channel.localAddress()} between bind and connect, as code that logs its source port does;
 *       the agent then gives that channel its port at the read (JDK behaviour kept, no sharing).
 *   <li>{@code --own-option}: sets Netty's own {@code EpollChannelOption.IP_BIND_ADDRESS_NO_PORT}
 *       (Netty 4.1.61+).
 *   <li>{@code --linger N}: sets {@code ChannelOption.SO_LINGER} to N, and times the close of all.
 *   <li>{@code --netty-servers}: the listeners are Netty epoll servers (default: {@code
 *       ServerSocket}).
 *   <li>{@code --server-port-zero}: also a Netty epoll server bound to port 0, connected to once.
 *   <li>{@code --mbean}: prints the agent's ledger rows (MBean, as a JMX client) while holding.
 *   <li>{@code --transport}: epoll (default), Netty 4.2's io_uring, the 4.1 incubator's io_uring,
 *       or NIO (through the JDK's {@code SocketChannel}); io_uring needs its jars on the class
 *       path; an unavailable transport prints {@code RESULT error=<transport>-unavailable} after a
 *       line with the cause.
 *   <li>{@code --unsent-close}: closes the first connection with 8 MB its peer never reads queued
 *       in the kernel, and times that close and the event loop's longest stall meanwhile.
 *   <li>{@code --attach-agent jar}: attaches that agent to this JVM after a first connection,
 *       connects, detaches, connects again (see {@link #attachDetachCycle}).
 * </ul>
 *
 * Machine-readable lines: {@code KERNEL dst=127.0.0.1:21000 established=N} per destination, counted
 * from {@code /proc/net/tcp[6]} while the connections are held, and last {@code RESULT
 * attempted=...}.
 */
public final class NettyClient {
  private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);
  private static final AttributeKey<Promise<Boolean>> ECHO = AttributeKey.valueOf("fourtuple.echo");

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Transport transport = new Transport(o.transport);
    if (transport.unavailable != null) {
      System.out.println(o.transport + " unavailable: " + transport.unavailable);
      System.out.println("RESULT error=" + o.transport + "-unavailable");
      return;
    }
    InetAddress source = InetAddress.getByName(o.source);
    EventLoopGroup group = transport.group();
    List<AutoCloseable> listeners = new ArrayList<AutoCloseable>();
    List<Channel> serverChannels = new ArrayList<Channel>();
    for (int d = 0; d < o.destinations; d++) {
      InetSocketAddress at = new InetSocketAddress(source, o.basePort + d);
      if (o.nettyServers) {
        serverChannels.add(echoServer(group, transport, at));
      } else {
        listeners.add(plainEchoServer(at));
      }
    }
    int serverPortZero = -1;
    Channel zeroServer = null;
    if (o.serverPortZero) {
      zeroServer = echoServer(group, transport, new InetSocketAddress(source, 0));
      serverPortZero = ((InetSocketAddress) zeroServer.localAddress()).getPort();
    }

    Bootstrap b = new Bootstrap().group(group).channel(transport.client);
    b.handler(
        new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new EchoReader());
          }
        });
    b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000);
    String ownOption = "none";
    if (o.ownOption != null) {
      ChannelOption<Boolean> own = ownOption(transport);
      if (own == null) {
        ownOption = "unsupported";
      } else {
        b.option(own, Boolean.valueOf(o.ownOption));
        ownOption = o.ownOption;
      }
    }
    if (o.linger != null) {
      b.option(ChannelOption.SO_LINGER, Integer.valueOf(o.linger));
    }
    InetSocketAddress local = new InetSocketAddress(source, 0);
    if (!o.bindFirst && !o.noLocal) {
      b.localAddress(local);
    }
    if (o.attachAgent != null) {
      attachDetachCycle(o, b, group, source, listeners);
      return;
    }

    List<Channel> held = new ArrayList<Channel>();
    Map<String, Integer> failures = new TreeMap<String, Integer>();
    Map<Integer, Integer> perDestination = new TreeMap<Integer, Integer>();
    int attempted = 0;
    int echoed = 0;
    int portZeroAfterBind = 0;
    int portKeptAtConnect = 0;
    for (int round = 0; round < o.attempts; round++) {
      for (int d = 0; d < o.destinations; d++) {
        attempted++;
        InetSocketAddress remote = new InetSocketAddress(source, o.basePort + d);
        Channel ch = null;
        try {
          if (o.bindFirst) {
            ch = b.register().sync().channel();
            ch.bind(local).sync();
            int afterBind = -1;
            if (o.readPortAfterBind) {
              afterBind = ((InetSocketAddress) ch.localAddress()).getPort();
              if (afterBind == 0) {
                portZeroAfterBind++;
              }
            }
            ch.connect(remote).sync();
            if (afterBind > 0 && ((InetSocketAddress) ch.localAddress()).getPort() == afterBind) {
              portKeptAtConnect++;
            }
          } else {
            ChannelFuture f = b.connect(remote);
            ch = f.channel();
            f.sync();
          }
          if (ping(ch)) {
            echoed++;
          }
          held.add(ch);
          Integer n = perDestination.get(remote.getPort());
          perDestination.put(remote.getPort(), n == null ? 1 : n + 1);
        } catch (Exception e) {
          String key = e.getClass().getName() + ": " + e.getMessage();
          Integer n = failures.get(key);
          failures.put(key, n == null ? 1 : n + 1);
          if (ch != null) {
            ch.close().awaitUninterruptibly();
          }
        }
      }
    }
    int zeroEchoed = 0;
    if (zeroServer != null) {
      Channel ch =
          new Bootstrap()
              .group(group)
              .channel(transport.client)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      c.pipeline().addLast(new EchoReader());
                    }
                  })
              .connect(zeroServer.localAddress())
              .sync()
              .channel();
      zeroEchoed = ping(ch) ? 1 : 0;
      ch.close().sync();
    }

    Map<Integer, Integer> kernel = kernelEstablished(o.basePort, o.destinations);
    int kernelTotal = 0;
    for (Map.Entry<Integer, Integer> e : kernel.entrySet()) {
      kernelTotal += e.getValue();
      System.out.printf(
          "KERNEL dst=%s:%d established=%d%n", source.getHostAddress(), e.getKey(), e.getValue());
    }
    String noPortReadBack = "n/a";
    String lingerReadBack = "n/a";
    if (!held.isEmpty()) {
      ChannelOption<Boolean> own = ownOption(transport);
      if (own != null) {
        noPortReadBack = String.valueOf(held.get(0).config().getOption(own));
      }
      lingerReadBack = String.valueOf(held.get(0).config().getOption(ChannelOption.SO_LINGER));
    }
    if (o.mbean) {
      printLedgerMBean(System.currentTimeMillis());
    }

    long[] unsentClose = {-1, -1};
    if (o.unsentClose && !held.isEmpty()) {
      unsentClose = closeWithUnsentData(held.get(0));
    }
    long closeStart = System.nanoTime();
    for (Channel ch : held) {
      ch.close().sync();
    }
    long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeStart);

    System.out.printf(
        "netty=%s transport=%s destinations=%d attempts=%d bindFirst=%s ownOption=%s linger=%s%n",
        nettyVersion(), o.transport, o.destinations, attempted, o.bindFirst, ownOption, o.linger);
    System.out.printf(
        "connected %d of %d; per destination: %s%n", held.size(), attempted, perDestination);
    for (Map.Entry<String, Integer> f : failures.entrySet()) {
      System.out.printf("failed %d x %s%n", f.getValue(), f.getKey());
    }
    System.out.printf(
        "RESULT attempted=%d connected=%d echoed=%d failed=%d kernelEstablished=%d"
            + " destinationsReached=%d noPortReadBack=%s lingerReadBack=%s closeMillis=%d"
            + " serverPortZero=%d serverPortZeroEchoed=%d ownOption=%s portZeroAfterBind=%d"
            + " portKeptAtConnect=%d unsentCloseMillis=%d unsentLoopBlockedMillis=%d%n",
        attempted,
        held.size(),
        echoed,
        attempted - held.size(),
        kernelTotal,
        perDestination.size(),
        noPortReadBack,
        lingerReadBack,
        closeMillis,
        serverPortZero,
        zeroEchoed,
        ownOption,
        portZeroAfterBind,
        portKeptAtConnect,
        unsentClose[0],
        unsentClose[1]);
    for (Channel s : serverChannels) {
      s.close().sync();
    }
    if (zeroServer != null) {
      zeroServer.close().sync();
    }
    for (AutoCloseable l : listeners) {
      l.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /**
   * Hot attach and detach around the application's Netty classes, loaded before the agent arrives:
   * one connection without the agent (it holds its port for every destination), {@code attempts}
   * per destination after {@code java -jar agent attach <own pid>}, then as many again after {@code
   * detach}. Prints {@code RESULT before=.. attached=.. detached=.. kernelEstablished=..}.
   */
  private static void attachDetachCycle(
      Options o,
      Bootstrap b,
      EventLoopGroup group,
      InetAddress source,
      List<AutoCloseable> listeners)
      throws Exception {
    List<Channel> held = new ArrayList<Channel>();
    Map<String, Integer> failures = new TreeMap<String, Integer>();
    int before = open(b, source, o.basePort, 1, 1, held, failures);
    String attach = agentCommand(o.attachAgent, "attach");
    int attached = open(b, source, o.basePort, o.destinations, o.attempts, held, failures);
    String detach = agentCommand(o.attachAgent, "detach");
    int detached = open(b, source, o.basePort, o.destinations, 1, held, failures);
    int kernelTotal = 0;
    for (Integer n : kernelEstablished(o.basePort, o.destinations).values()) {
      kernelTotal += n;
    }
    System.out.println("attach: " + attach.replace('\n', ' '));
    System.out.println("detach: " + detach.replace('\n', ' '));
    for (Map.Entry<String, Integer> f : failures.entrySet()) {
      System.out.printf("failed %d x %s%n", f.getValue(), f.getKey());
    }
    System.out.printf(
        "RESULT before=%d attached=%d detached=%d kernelEstablished=%d restored=%s%n",
        before, attached, detached, kernelTotal, detach.contains("original bytecode restored"));
    for (Channel ch : held) {
      ch.close().sync();
    }
    for (AutoCloseable l : listeners) {
      l.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private static int open(
      Bootstrap b,
      InetAddress source,
      int basePort,
      int destinations,
      int attempts,
      List<Channel> held,
      Map<String, Integer> failures)
      throws InterruptedException {
    int opened = 0;
    for (int round = 0; round < attempts; round++) {
      for (int d = 0; d < destinations; d++) {
        ChannelFuture f = b.connect(new InetSocketAddress(source, basePort + d)).await();
        if (f.isSuccess() && ping(f.channel())) {
          held.add(f.channel());
          opened++;
        } else {
          Throwable e = f.cause();
          String key = e == null ? "no echo" : e.getClass().getName() + ": " + e.getMessage();
          Integer n = failures.get(key);
          failures.put(key, n == null ? 1 : n + 1);
          f.channel().close().await();
        }
      }
    }
    return opened;
  }

  /** {@code java -jar <agent> <command> <this pid>}: its exit code and output. */
  private static String agentCommand(String agentJar, String command) throws Exception {
    String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
    String pid = name.substring(0, name.indexOf('@'));
    ProcessBuilder pb =
        new ProcessBuilder(
                System.getProperty("java.home") + "/bin/java", "-jar", agentJar, command, pid)
            .redirectErrorStream(true);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    InputStream in = p.getInputStream();
    byte[] buf = new byte[4096];
    for (int r; (r = in.read(buf)) > 0; ) {
      out.write(buf, 0, r);
    }
    return "exit=" + p.waitFor() + " " + new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  /** Sends 4 bytes and waits for their echo. */
  private static boolean ping(Channel ch) throws InterruptedException {
    Promise<Boolean> echo = ch.eventLoop().newPromise();
    ch.attr(ECHO).set(echo);
    ch.writeAndFlush(Unpooled.wrappedBuffer(PING)).sync();
    return echo.await(5, TimeUnit.SECONDS) && Boolean.TRUE.equals(echo.getNow());
  }

  /**
   * Closes {@code ch} with data its peer never reads queued in the kernel (the listeners read only
   * 4 bytes): with SO_LINGER above 0 the close waits out the linger. Returns the time until its
   * close future completed and the longest the event loop went without running a 10 ms tick
   * meanwhile (io_uring runs the close inline in the loop's {@code io_uring_enter}).
   */
  private static long[] closeWithUnsentData(Channel ch) throws Exception {
    int port = ((InetSocketAddress) ch.localAddress()).getPort();
    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[8 << 20]));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sendQueue(port) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10); // polls the kernel's table until the data is queued
    }
    final long[] last = {System.nanoTime()};
    final long[] gap = {0};
    io.netty.util.concurrent.ScheduledFuture<?> tick =
        ch.eventLoop()
            .scheduleAtFixedRate(
                new Runnable() {
                  @Override
                  public void run() {
                    long now = System.nanoTime();
                    gap[0] = Math.max(gap[0], now - last[0]);
                    last[0] = now;
                  }
                },
                10,
                10,
                TimeUnit.MILLISECONDS);
    ch.eventLoop()
        .submit(
            new Runnable() {
              @Override
              public void run() {
                gap[0] = 0;
                last[0] = System.nanoTime();
              }
            })
        .sync();
    long start = System.nanoTime();
    ch.close().sync();
    long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // One more tick after the close: a loop blocked to the end shows in its gap.
    ch.eventLoop()
        .schedule(
            new Runnable() {
              @Override
              public void run() {}
            },
            20,
            TimeUnit.MILLISECONDS)
        .sync();
    tick.cancel(false);
    long blocked =
        ch.eventLoop()
            .submit(
                new java.util.concurrent.Callable<Long>() {
                  @Override
                  public Long call() {
                    return TimeUnit.NANOSECONDS.toMillis(gap[0]);
                  }
                })
            .get();
    return new long[] {closeMillis, blocked};
  }

  /** The kernel's send queue (bytes) of the TCP socket with local port {@code port}, or 0. */
  private static long sendQueue(int port) throws IOException {
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      if (!new java.io.File(table).exists()) {
        continue;
      }
      BufferedReader r = new BufferedReader(new FileReader(table));
      try {
        String line = r.readLine(); // header
        while ((line = r.readLine()) != null) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 4 && Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16) == port) {
            return Long.parseLong(f[4].substring(0, f[4].indexOf(':')), 16);
          }
        }
      } finally {
        r.close();
      }
    }
    return 0;
  }

  /**
   * Netty's own epoll option, or null before 4.1.61 (looked up by name so the sample runs there
   * too) and for io_uring, which has none.
   */
  @SuppressWarnings("unchecked")
  private static ChannelOption<Boolean> ownOption(Transport transport) {
    if (!transport.name.equals("epoll")) {
      return null;
    }
    try {
      Field f = EpollChannelOption.class.getField("IP_BIND_ADDRESS_NO_PORT");
      return (ChannelOption<Boolean>) f.get(null);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private static String nettyVersion() {
    Package p = Bootstrap.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    if (v != null) {
      return v;
    }
    try {
      return io.netty.util.Version.identify().values().iterator().next().artifactVersion();
    } catch (RuntimeException e) {
      return "unknown";
    }
  }

  /** Counts the echoed bytes of a client channel and completes its promise at 4. */
  static final class EchoReader extends ChannelInboundHandlerAdapter {
    private int received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      received += buf.readableBytes();
      buf.release();
      Promise<Boolean> echo = ctx.channel().attr(ECHO).get();
      if (echo != null && received >= PING.length) {
        echo.trySuccess(Boolean.TRUE);
      }
    }
  }

  /** Echoes what a server child channel reads. */
  static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.writeAndFlush(msg);
    }
  }

  private static Channel echoServer(EventLoopGroup group, Transport transport, InetSocketAddress at)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(transport.server)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, Boolean.TRUE)
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new Echo());
              }
            })
        .bind(at)
        .sync()
        .channel();
  }

  /** A {@code ServerSocket} whose accept thread echoes 4 bytes per connection and holds it. */
  private static AutoCloseable plainEchoServer(InetSocketAddress at) throws IOException {
    final ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(at, 4096);
    final List<Socket> accepted = new ArrayList<Socket>();
    Thread t =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                byte[] buf = new byte[PING.length];
                while (!listener.isClosed()) {
                  try {
                    Socket s = listener.accept();
                    s.setSoTimeout(5000);
                    synchronized (accepted) {
                      accepted.add(s);
                    }
                    InputStream in = s.getInputStream();
                    int n = 0;
                    while (n < buf.length) {
                      int r = in.read(buf, n, buf.length - n);
                      if (r < 0) {
                        break;
                      }
                      n += r;
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(buf, 0, n);
                    out.flush();
                  } catch (IOException e) {
                    // closed listener, or a client that went away: go on
                  }
                }
              }
            },
            "echo-" + at.getPort());
    t.setDaemon(true);
    t.start();
    return new AutoCloseable() {
      @Override
      public void close() throws IOException {
        listener.close();
        synchronized (accepted) {
          for (Socket s : accepted) {
            s.close();
          }
        }
      }
    };
  }

  /**
   * ESTABLISHED client sockets per destination port, from the kernel's own table ({@code
   * /proc/net/tcp}, this process's network namespace): entries whose remote port is a destination.
   */
  static Map<Integer, Integer> kernelEstablished(int basePort, int destinations)
      throws IOException {
    Map<Integer, Integer> out = new TreeMap<Integer, Integer>();
    for (int d = 0; d < destinations; d++) {
      out.put(basePort + d, 0);
    }
    // Netty's epoll sockets are dual-stack AF_INET6 where IPv6 is up: IPv4 peers show in tcp6.
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      countEstablished(table, out);
    }
    return out;
  }

  private static void countEstablished(String table, Map<Integer, Integer> out) throws IOException {
    if (!new java.io.File(table).exists()) {
      return;
    }
    BufferedReader r = new BufferedReader(new FileReader(table));
    try {
      String line = r.readLine(); // header
      while ((line = r.readLine()) != null) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !f[3].equals("01")) {
          continue;
        }
        int remotePort = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
        Integer n = out.get(remotePort);
        if (n != null) {
          out.put(remotePort, n + 1);
        }
      }
    } finally {
      r.close();
    }
  }

  /** The agent's ledger rows, read as any JMX client would, once a tick after {@code after} ran. */
  private static void printLedgerMBean(long after) throws Exception {
    javax.management.MBeanServer server =
        java.lang.management.ManagementFactory.getPlatformMBeanServer();
    javax.management.ObjectName name =
        new javax.management.ObjectName("io.fourtuple:type=PortLedger");
    long deadline = System.currentTimeMillis() + 20000;
    while (System.currentTimeMillis() < deadline) {
      if (server.isRegistered(name)
          && ((Long) server.getAttribute(name, "LastTickMillis")).longValue() > after) {
        javax.management.openmbean.CompositeData[] rows =
            (javax.management.openmbean.CompositeData[]) server.getAttribute(name, "Destinations");
        for (javax.management.openmbean.CompositeData row : rows) {
          System.out.printf(
              "MBEAN-ROW destination=%s live=%s established=%s%n",
              row.get("destination"), row.get("live"), row.get("established"));
        }
        return;
      }
      Thread.sleep(50);
    }
    System.out.println("MBEAN none: io.fourtuple:type=PortLedger not registered or no tick");
  }

  /**
   * The transport's classes: epoll by type, io_uring by name (Netty 4.2's {@code channel.uring}, or
   * the 4.1 incubator's {@code incubator.channel.uring}), so the sample compiles against Netty 4.1
   * alone and runs on whichever jars are on the class path.
   */
  static final class Transport {
    final String name;
    final String unavailable;
    final Class<? extends Channel> client;
    final Class<? extends io.netty.channel.ServerChannel> server;

    @SuppressWarnings("unchecked")
    Transport(String name) throws Exception {
      this.name = name;
      if (name.equals("epoll")) {
        unavailable = Epoll.isAvailable() ? null : String.valueOf(Epoll.unavailabilityCause());
        client = EpollSocketChannel.class;
        server = EpollServerSocketChannel.class;
        return;
      }
      if (name.equals("nio")) {
        unavailable = null;
        client = io.netty.channel.socket.nio.NioSocketChannel.class;
        server = io.netty.channel.socket.nio.NioServerSocketChannel.class;
        return;
      }
      String pkg = pkg(name);
      String prefix = name.equals("io_uring") ? "IoUring" : "IOUring";
      Class<?> available = Class.forName(pkg + (name.equals("io_uring") ? "IoUring" : "IOUring"));
      unavailable =
          ((Boolean) available.getMethod("isAvailable").invoke(null)).booleanValue()
              ? null
              : String.valueOf(available.getMethod("unavailabilityCause").invoke(null));
      if (unavailable != null) {
        // Netty 4.2's io_uring classes need JDK 9+: not loaded where they cannot be.
        client = null;
        server = null;
        return;
      }
      client = (Class<? extends Channel>) Class.forName(pkg + prefix + "SocketChannel");
      server =
          (Class<? extends io.netty.channel.ServerChannel>)
              Class.forName(pkg + prefix + "ServerSocketChannel");
    }

    private static String pkg(String name) {
      if (name.equals("io_uring")) {
        return "io.netty.channel.uring.";
      }
      if (name.equals("io_uring-incubator")) {
        return "io.netty.incubator.channel.uring.";
      }
      throw new IllegalArgumentException("unknown transport " + name);
    }

    /** One event loop thread. */
    EventLoopGroup group() throws Exception {
      if (name.equals("epoll")) {
        return new EpollEventLoopGroup(1);
      }
      if (name.equals("nio")) {
        return new io.netty.channel.nio.NioEventLoopGroup(1);
      }
      if (name.equals("io_uring-incubator")) {
        return (EventLoopGroup)
            Class.forName(pkg(name) + "IOUringEventLoopGroup")
                .getConstructor(int.class)
                .newInstance(1);
      }
      Class<?> factory = Class.forName("io.netty.channel.IoHandlerFactory");
      Object handlers =
          Class.forName(pkg(name) + "IoUringIoHandler").getMethod("newFactory").invoke(null);
      return (EventLoopGroup)
          Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup")
              .getConstructor(int.class, factory)
              .newInstance(1, handlers);
    }
  }

  static final class Options {
    int destinations = 10;
    int attempts = 12;
    int basePort = 21000;
    String source = "127.0.0.1";
    boolean bindFirst;
    boolean noLocal;
    String ownOption;
    String linger;
    boolean nettyServers;
    boolean serverPortZero;
    boolean mbean;
    boolean readPortAfterBind;
    boolean unsentClose;
    String transport = "epoll";
    String attachAgent;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--bind-first")) {
          o.bindFirst = true;
        } else if (a.equals("--no-local")) {
          o.noLocal = true;
        } else if (a.equals("--netty-servers")) {
          o.nettyServers = true;
        } else if (a.equals("--server-port-zero")) {
          o.serverPortZero = true;
        } else if (a.equals("--mbean")) {
          o.mbean = true;
        } else if (a.equals("--read-port-after-bind")) {
          o.readPortAfterBind = true;
        } else if (a.equals("--unsent-close")) {
          o.unsentClose = true;
        } else if (i + 1 < args.length) {
          String v = args[++i];
          if (a.equals("--destinations")) {
            o.destinations = Integer.parseInt(v);
          } else if (a.equals("--attempts")) {
            o.attempts = Integer.parseInt(v);
          } else if (a.equals("--base-port")) {
            o.basePort = Integer.parseInt(v);
          } else if (a.equals("--source")) {
            o.source = v;
          } else if (a.equals("--own-option")) {
            o.ownOption = Boolean.valueOf(v).toString();
          } else if (a.equals("--transport")) {
            o.transport = v;
          } else if (a.equals("--attach-agent")) {
            o.attachAgent = v;
          } else if (a.equals("--linger")) {
            o.linger = String.valueOf(Integer.parseInt(v));
          } else {
            throw new IllegalArgumentException("unknown option " + a);
          }
        } else {
          throw new IllegalArgumentException("unknown option or missing value: " + a);
        }
      }
      return o;
    }
  }
}
