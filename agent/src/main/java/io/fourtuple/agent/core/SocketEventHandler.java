package io.fourtuple.agent.core;

import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.bind.BindPolicy;
import io.fourtuple.agent.core.bind.PortSlice;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.ledger.PortLedger;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.linger.LingerPolicy;
import io.fourtuple.agent.core.report.CallSite;
import io.fourtuple.agent.core.report.CallSites;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.platform.SocketOptions;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's answer to every hook: apply the bind policy, count, and hand anything worth saying to
 * the {@link Reporter} as a {@link Finding}. Runs on application threads inside JDK socket methods
 * (see {@link SocketHooks}), so everything here is non-blocking and allocation-light; a stack is
 * filled in only the first time an outcome is seen, and walked later on the reporter thread.
 *
 * <p>Everything it and its parts keep per socket is one record in one table ({@link
 * SocketRecords}), keyed the same for every hook: what a hook pushes is turned into that key here
 * (a Netty channel into its {@code LinuxSocket}) and in the linger guard (a {@code java.net.Socket}
 * into its implementation).
 */
public final class SocketEventHandler implements SocketHooks, BindPolicy.FailureListener {
  private final BindPolicy policy;
  private final SocketOptions sockets;
  private final boolean audit;
  private final AgentStats stats;
  private final Reporter reporter;

  /** The optional parts that follow client sockets: the port ledger, the call-site ledger. */
  private final SocketListener[] listeners;

  private final ConcurrentHashMap<String, Boolean> reportedErrors =
      new ConcurrentHashMap<String, Boolean>();
  private final LingerGuard linger;
  private final PortSlice slice;

  /**
   * The one per-socket table: the ledger's followed sockets, sockets left with linger on, and the
   * Netty sockets whose application set Netty's own IP_BIND_ADDRESS_NO_PORT (by identity: Netty's
   * {@code FileDescriptor.equals} compares descriptor numbers, which the kernel reuses).
   */
  private final SocketRecords records;

  private final CallSites callSites;

  public SocketEventHandler(
      AgentConfig config, SocketOptions options, AgentStats stats, Reporter reporter) {
    this(config, options, stats, reporter, null, null);
  }

  /**
   * With the port ledger ({@code ledger} null: none) and the call-site ledger ({@code sites} null:
   * none) fed from every hook; the per-socket and call-site tables are the ledger's, or its own.
   */
  public SocketEventHandler(
      AgentConfig config,
      SocketOptions options,
      AgentStats stats,
      Reporter reporter,
      PortLedger ledger,
      CallSiteLedger sites) {
    this(
        config,
        options,
        stats,
        reporter,
        ledger != null ? ledger.records() : config.ledger().newRecords(),
        ledger != null ? ledger.callSites() : config.newCallSites(),
        ledger,
        sites,
        PortSlice.NONE);
  }

  /**
   * With {@code records} and {@code callSites}, the one per-socket table and the one call-site
   * table that the ledger and the call-site ledger were built on too, and this JVM's port {@code
   * slice}.
   */
  public SocketEventHandler(
      AgentConfig config,
      SocketOptions options,
      AgentStats stats,
      Reporter reporter,
      SocketRecords records,
      CallSites callSites,
      PortLedger ledger,
      CallSiteLedger sites,
      PortSlice slice) {
    this.slice = slice;
    this.policy = new BindPolicy(config, options, this);
    this.sockets = options;
    this.audit = config.mode() == AgentConfig.Mode.AUDIT;
    this.stats = stats;
    this.reporter = reporter;
    List<SocketListener> parts = new ArrayList<SocketListener>();
    for (SocketListener part : new SocketListener[] {ledger, sites}) {
      if (part != null) {
        parts.add(part);
      }
    }
    this.listeners = parts.toArray(new SocketListener[0]);
    this.records = records;
    this.callSites = callSites;
    this.linger = new LingerGuard(config, reporter, options, records, callSites);
  }

  /** The SO_LINGER guard, for the exit summary. */
  public LingerGuard linger() {
    return linger;
  }

  @Override
  public Object on(
      int event, int api, Object socket, Object a, Object b, Object c, int n, boolean flag) {
    Api which = Api.of(api);
    switch (event) {
      case LOCAL_READ:
        localAddressRead(which, socket, n);
        return null;
      case BIND:
        bind(which, socket, a, b, n, flag);
        return null;
      case BEFORE_CONNECT:
        applySlice(a);
        return null;
      case BIND_FAILED:
        bindFailed(which, socket, b, n, (Throwable) a);
        return null;
      case CONNECTED:
      case FINISH_CONNECT:
        if (flag || event == CONNECTED) {
          connected(which, socket, a, b, n, flag);
        }
        return null;
      case CONNECT_OUTCOME:
        connectOutcome(which, socket, a, b, (Throwable) c);
        return null;
      case CLOSING:
        closing(key(which, socket));
        return null;
      case LINGER_CLOSING:
        linger.beforeClose(socket);
        return null;
      case LINGER_CLOSED:
        linger.afterClose(socket);
        return null;
      case SET_SO_LINGER:
        return setSoLinger(which, socket, flag, n);
      case SET_OPTION:
        return setOption(which, socket, a, b);
      case CHANNEL_CREATED:
        channelCreated(which, socket, a);
        return null;
      default:
        return null;
    }
  }

  /**
   * The key of the record of what a hook pushed: a Netty channel's {@code LinuxSocket} (the object
   * its SO_LINGER set and Netty's own option are seen on); any other object is its own key (the
   * linger guard turns a {@code java.net.Socket} into its implementation).
   */
  private Object key(Api api, Object socket) {
    if (api.isNetty() && socket != null) {
      Object linux = sockets.nettySocket(socket);
      return linux != null ? linux : socket;
    }
    return socket;
  }

  /**
   * A Netty client channel was made on the application's thread: when {@link CallSites#takeOrigin}
   * allows, that thread's stack is kept as the socket's origin, the call site every part names for
   * it ({@link SocketRecords#site}), rather than the event loop's stack where its bind and connect
   * run.
   */
  private void channelCreated(Api api, Object socket, Object parent) {
    if (parent == null
        && (api.isNetty() ? sockets.isNettyTcpClient(socket) : socket instanceof SocketChannel)
        && callSites.takeOrigin()) {
      records.putOrigin(key(api, socket), CallSite.here());
    }
  }

  /** The socket closes: its parts are told, and its record forgotten unless still needed. */
  private void closing(Object key) {
    SocketRecords.Record r = records.closing(key);
    if (r != null) {
      for (SocketListener l : listeners) {
        l.closed(r);
      }
    }
  }

  /**
   * A bind is about to happen (see {@link SocketHooks#BIND}): apply the policy, count, and tell the
   * ledger and the call-site ledger.
   */
  public void bind(Api api, Object socket, Object fd, Object local, int port, boolean server) {
    BindOutcome outcome;
    InetAddress address = null;
    if (api.isNetty() && (local == null || !sockets.isNettyTcpClient(socket))) {
      if (local == null && slice.active() && sockets.isNettyTcpClient(socket)) {
        // A connect without a local address: epoll's doConnect pushes the socket, io_uring's
        // connect (at its entry, for every connect) does not.
        applySlice(sockets.nettyDescriptor(fd != null ? fd : sockets.nettySocket(socket)));
      }
      return; // not a bind, or not a TCP client: never touched nor counted
    }
    if (local instanceof InetAddress) {
      address = (InetAddress) local;
      outcome = policy.beforeBind((FileDescriptor) fd, port, server);
    } else if (local == null) {
      // bind(null): the wildcard address and port 0.
      outcome = policy.beforeBind((FileDescriptor) fd, 0, false);
    } else if (local instanceof InetSocketAddress && !((InetSocketAddress) local).isUnresolved()) {
      InetSocketAddress inet = (InetSocketAddress) local;
      address = inet.getAddress();
      port = inet.getPort();
      outcome =
          api.isNetty() ? nettyBind(fd, port) : policy.beforeBind((FileDescriptor) fd, port, false);
    } else {
      outcome = BindOutcome.NOT_INET;
    }
    if (outcome.isClientPortZero() && slice.active()) {
      applySlice(api.isNetty() ? sockets.nettyDescriptor(fd) : fd);
    }
    recordBind(api, outcome, address, port);
    // Netty's bind hooks push the channel's LinuxSocket as fd: the key, without a field read.
    Object key = api.isNetty() && fd != null ? fd : socket;
    for (SocketListener l : listeners) {
      l.bound(api, key, outcome, address, port);
    }
  }

  /**
   * Sets this JVM's port slice on a client socket the kernel is about to give a port ({@code fd}: a
   * {@code FileDescriptor}, anything else is skipped); a failure is reported once.
   */
  private void applySlice(Object fd) {
    if (fd instanceof FileDescriptor) {
      Throwable failed = slice.apply((FileDescriptor) fd);
      if (failed != null) {
        onInternalError("setting IP_LOCAL_PORT_RANGE", failed);
      }
    }
  }

  /** A Netty client bind of {@code socket} (its {@code LinuxSocket}) to {@code port}. */
  private BindOutcome nettyBind(Object socket, int port) {
    Boolean own = port == 0 ? records.ownOption(socket) : null;
    if (own != null) {
      return own.booleanValue() ? BindOutcome.OWN_OPTION_ON : BindOutcome.OWN_OPTION_OFF;
    }
    // The descriptor is read only when the policy would set the option on it.
    BindOutcome decided = policy.decide(port, false);
    if (decided != BindOutcome.APPLIED) {
      return decided;
    }
    FileDescriptor fd = sockets.nettyDescriptor(socket);
    if (fd == null) {
      onFailure(
          BindOutcome.FAILED,
          new IllegalStateException(
              "cannot read the descriptor of Netty socket " + socket.getClass().getName()));
      return BindOutcome.FAILED;
    }
    return policy.beforeBind(fd, port, false);
  }

  /**
   * The application set Netty's own option on {@code socket} (a {@code LinuxSocket}): its binds are
   * left alone. Beyond the table's bound the agent treats the socket as any other.
   */
  void nettyOwnBindAddressNoPort(Object socket, boolean value) {
    records.ownOption(socket, value);
  }

  /** Netty's native errors name the call: {@code "bind(..) failed: Address already in use"}. */
  static boolean isNettyBindFailure(Throwable thrown) {
    String message = thrown.getMessage();
    return message != null && message.startsWith("bind(");
  }

  /**
   * A bind failed (for example EADDRINUSE when bind-before-connect has used up the shared port
   * pool); {@code local} is the requested address, with the port in {@code port} for an {@code
   * InetAddress}.
   */
  public void bindFailed(Api api, Object socket, Object local, int port, Throwable thrown) {
    if (api.isNetty() && !sockets.isNettyTcpClient(socket)) {
      return;
    }
    if (local instanceof InetAddress || local == null) {
      try {
        local = new InetSocketAddress((InetAddress) local, port);
      } catch (IllegalArgumentException badPort) {
        local = local + ":" + port;
      }
    }
    ConnectFailure cause = ConnectFailure.classify(thrown);
    Object key = key(api, socket);
    for (SocketListener l : listeners) {
      l.bindFailed(key, local, thrown, cause);
    }
    if (stats.bindFailed(api, cause)) {
      reporter.submit(
          new Finding(
              Finding.Kind.BIND_FAILURE, api, thrown, String.valueOf(local), records.site(key)));
    }
  }

  /**
   * A connect returned ({@code completed} false: a non-blocking connect in progress). {@code local}
   * is the local {@code InetSocketAddress}, or null with the port in {@code port}; Netty's pending
   * connects complete with both addresses null, read here from the channel.
   */
  public void connected(
      Api api, Object socket, Object remote, Object local, int port, boolean completed) {
    if (api.isNetty()) {
      if (!sockets.isNettyTcpClient(socket)) {
        return;
      }
      if (remote == null) {
        remote = sockets.nettyRemoteAddress(socket, false);
        local = sockets.nettyLocalAddress(socket);
      }
      if (remote == null) {
        // io_uring: reported as its connect completes, before Netty caches the addresses.
        remote = sockets.nettyRemoteAddress(socket, true);
        local = sockets.nettyLocalAddress(sockets.nettySocket(socket));
      }
    }
    if (completed) {
      stats.connectSucceeded(api);
      Object key = key(api, socket);
      for (SocketListener l : listeners) {
        l.connected(key, remote, local, port);
      }
    } else {
      stats.connectInProgress(api);
      if (api == Api.ASYNC_SOCKET_CHANNEL) {
        // Completes on the poller thread, whose stack has no application frame.
        for (SocketListener l : listeners) {
          l.connectPending(remote);
        }
      }
    }
  }

  /**
   * A connect ended with {@code failure}, or (asynchronous channels only) null for success, whose
   * local address is read here through the channel's public API.
   */
  public void connectOutcome(
      Api api, Object socket, Object remote, Object local, Throwable failure) {
    if (failure == null) {
      if (socket instanceof AsynchronousSocketChannel) {
        try {
          local = ((AsynchronousSocketChannel) socket).getLocalAddress();
        } catch (IOException closedSinceConnect) {
          local = null; // counted with an unknown local port
        }
      }
      connected(api, socket, remote, local, 0, true);
      return;
    }
    if (api.isNetty()) {
      if (!sockets.isNettyTcpClient(socket)) {
        return;
      }
      if (isNettyBindFailure(failure)) {
        // doConnect(remote, local) binds first; its bind failed, the connect never ran.
        bindFailed(api, socket, local, 0, failure);
        return;
      }
      if (remote == null) {
        remote = sockets.nettyRemoteAddress(socket, true);
      }
    }
    ConnectFailure cause = ConnectFailure.classify(failure);
    Object key = key(api, socket);
    for (SocketListener l : listeners) {
      l.connectFailed(key, remote, failure, cause);
    }
    if (stats.connectFailed(api, cause)) {
      reporter.submit(
          new Finding(
              Finding.Kind.CONNECT_FAILURE,
              api,
              failure,
              String.valueOf(remote),
              records.site(key)));
    }
  }

  /**
   * An SO_LINGER set ({@link SocketHooks#SET_SO_LINGER}); Netty's {@code setSoLinger(int)} passes
   * {@code on} true and a negative value for off.
   */
  Long setSoLinger(Api api, Object socket, boolean on, int seconds) {
    if (api.isNetty()) {
      on = seconds >= 0;
      // One hook (unix.Socket) serves both transports: the socket's class tells them apart.
      api = sockets.isNettyIoUring(socket) ? Api.NETTY_IO_URING : api;
    }
    int applied = linger.beforeSetLinger(api, socket, on, seconds);
    if (applied == seconds) {
      return null;
    }
    if (applied == LingerPolicy.OFF) {
      return Long.valueOf(api.isNetty() ? 0xFFFFFFFFL : seconds & 0xFFFFFFFFL);
    }
    return Long.valueOf((on ? 1L << 32 : 0L) | (applied & 0xFFFFFFFFL));
  }

  /**
   * A {@code setOption}: SO_LINGER with an Integer value (negative: off, the JDK's own convention
   * for these methods) goes through the linger guard; Netty's own IP_BIND_ADDRESS_NO_PORT is
   * remembered; any other option returns at once.
   */
  Object setOption(Api api, Object socket, Object name, Object value) {
    if (name == StandardSocketOptions.SO_LINGER && value instanceof Integer) {
      int seconds = ((Integer) value).intValue();
      int applied = linger.beforeSetLinger(api, socket, seconds >= 0, seconds);
      if (applied == seconds) {
        return null;
      }
      if (applied != LingerPolicy.OFF) {
        return Integer.valueOf(applied);
      }
      return api == Api.SOCKET && SOCKET_LINGER_OFF_IS_BOOLEAN
          ? (Object) Boolean.FALSE
          : (Object) Integer.valueOf(-1);
    }
    if (api.isNetty() && SocketHooks.NETTY_OWN_NO_PORT.equals(name)) {
      nettyOwnBindAddressNoPort(socket, Boolean.TRUE.equals(value));
    }
    return null;
  }

  /**
   * JDK 9 to 12 pass a {@code Socket.setOption(SO_LINGER, n)} value straight to the old socket
   * implementation, which turns linger off only for {@code Boolean.FALSE}: a negative Integer there
   * sets linger on with the kernel's maximum wait. Later JDKs check the type and accept -1 as off.
   */
  static final boolean SOCKET_LINGER_OFF_IS_BOOLEAN = socketLingerOffIsBoolean();

  private static boolean socketLingerOffIsBoolean() {
    try {
      String version = System.getProperty("java.specification.version", "");
      if (version.startsWith("1.")) {
        return false; // JDK 8 has no Socket.setOption
      }
      int major = Integer.parseInt(version);
      return major >= 9 && major <= 12;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The application reads a socket's local address. A socket whose port the agent deferred (cached
   * port 0) gets its port now, as the JDK would have given it at bind; the read then returns it. In
   * audit mode (the only mode that asks for reads of ports already set) a read between bind and
   * connect of a sampled socket that enforce would have deferred is counted for its call site.
   */
  void localAddressRead(Api which, Object socket, int cachedPort) {
    if (cachedPort != 0) {
      if (audit && localPortRead(key(which, socket), false)) {
        stats.localPortReadBeforeConnect(which);
      }
      return;
    }
    if (!policy.hasApplied()) {
      return;
    }
    switch (sockets.assignPort(socket)) {
      case ASSIGNED:
        localPortRead(key(which, socket), true);
        if (stats.localPortReadBeforeConnect(which)) {
          reporter.submit(
              new Finding(
                  Finding.Kind.PORT_READ_BEFORE_CONNECT, which, null, null, CallSite.here()));
        }
        break;
      case NO_PORT_LEFT:
        if (reportedErrors.putIfAbsent("noPortLeft", Boolean.TRUE) == null) {
          reporter.submit(
              new Finding(
                  Finding.Kind.PORT_READ_BEFORE_CONNECT,
                  which,
                  sockets.assignPortFailure(),
                  null,
                  CallSite.here()));
        }
        break;
      case FAILED:
        onInternalError("localAddressRead", sockets.assignPortFailure());
        break;
      default:
        break;
    }
  }

  @Override
  public boolean observesBoundPorts() {
    return audit;
  }

  @Override
  public void onInternalError(String where, Throwable error) {
    stats.internalError();
    if (reportedErrors.putIfAbsent(where, Boolean.TRUE) == null) {
      reporter.submit(new Finding(Finding.Kind.INTERNAL_ERROR, null, where, where, error));
    }
  }

  @Override
  public void onFailure(BindOutcome outcome, Throwable error) {
    if (outcome == BindOutcome.REFUSED_BY_KERNEL
        || reportedErrors.putIfAbsent("setsockopt", Boolean.TRUE) == null) {
      reporter.submit(new Finding(Finding.Kind.OPTION_FAILURE, null, outcome, null, error));
    }
  }

  private boolean localPortRead(Object socket, boolean assigned) {
    boolean first = false;
    for (SocketListener l : listeners) {
      first |= l.localPortRead(socket, assigned);
    }
    return first;
  }

  private void recordBind(Api api, BindOutcome outcome, InetAddress address, int port) {
    if (stats.bind(api, outcome) && outcome.isClientPortZero()) {
      String local = (address == null ? "*" : address.getHostAddress()) + ":" + port;
      reporter.submit(new Finding(Finding.Kind.FIRST_BIND, api, outcome, local, CallSite.here()));
    }
  }
}
