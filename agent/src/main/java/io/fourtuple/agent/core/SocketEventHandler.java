package io.fourtuple.agent.core;

import io.fourtuple.agent.core.audit.CallSiteLedger;
import io.fourtuple.agent.core.bind.BindOutcome;
import io.fourtuple.agent.core.bind.BindPolicy;
import io.fourtuple.agent.core.config.AgentConfig;
import io.fourtuple.agent.core.connect.ConnectFailure;
import io.fourtuple.agent.core.ledger.PortLedger;
import io.fourtuple.agent.core.linger.LingerGuard;
import io.fourtuple.agent.core.report.Finding;
import io.fourtuple.agent.core.report.Reporter;
import io.fourtuple.agent.platform.DeferredPorts;
import io.fourtuple.agent.platform.NettySockets;
import io.fourtuple.agent.platform.SocketOptions;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.FileDescriptor;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's answer to every hook: apply the bind policy, count, and hand anything worth saying to
 * the {@link Reporter} as a {@link Finding}. Runs on application threads inside JDK socket methods
 * (see {@link SocketHooks}), so everything here is non-blocking and allocation-light; a stack is
 * filled in only the first time an outcome is seen, and walked later on the reporter thread.
 */
public final class SocketEventHandler implements SocketHooks, BindPolicy.FailureListener {
  private final BindPolicy policy;
  private final boolean audit;
  private final AgentStats stats;
  private final Reporter reporter;

  /** Null when the ledger is switched off. */
  private final PortLedger ledger;

  private final ConcurrentHashMap<String, Boolean> reportedErrors =
      new ConcurrentHashMap<String, Boolean>();
  private final LingerGuard linger;

  /**
   * Netty sockets whose application set Netty's own IP_BIND_ADDRESS_NO_PORT, with the value it set.
   * Weak keys, bounded at {@link #MAX_OWN_OPTION}; the value keeps a weak reference to its key
   * because Netty's {@code FileDescriptor.equals} compares descriptor numbers, which the kernel
   * reuses.
   */
  private final Map<Object, OwnOption> nettyOwnOption =
      Collections.synchronizedMap(new WeakHashMap<Object, OwnOption>());

  private volatile boolean anyOwnOption;

  static final int MAX_OWN_OPTION = 65536;

  /** Null when call sites are not tracked (unit tests of the rest). */
  private final CallSiteLedger sites;

  public SocketEventHandler(
      AgentConfig config, SocketOptions options, AgentStats stats, Reporter reporter) {
    this(config, options, stats, reporter, null, null);
  }

  /**
   * With the port ledger ({@code ledger} null: none) and the call-site ledger ({@code sites} null:
   * none) fed from every hook.
   */
  public SocketEventHandler(
      AgentConfig config,
      SocketOptions options,
      AgentStats stats,
      Reporter reporter,
      PortLedger ledger,
      CallSiteLedger sites) {
    this.policy = new BindPolicy(config, options, this);
    this.audit = config.mode() == AgentConfig.Mode.AUDIT;
    this.stats = stats;
    this.reporter = reporter;
    this.ledger = ledger;
    this.sites = sites;
    this.linger = new LingerGuard(config, reporter);
  }

  /** The SO_LINGER guard, for the exit summary. */
  public LingerGuard linger() {
    return linger;
  }

  @Override
  public void beforeSocketBind(
      Object socketImpl, FileDescriptor fd, InetAddress address, int port, boolean server) {
    BindOutcome outcome = policy.beforeBind(fd, port, server);
    recordBind(Api.SOCKET, outcome, address, port);
    if (ledger != null) {
      ledger.bound(socketImpl, outcome, address);
    }
    if (sites != null) {
      sites.onBind(Api.SOCKET, outcome, socketImpl, address, port);
    }
  }

  @Override
  public void beforeChannelBind(
      Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {
    beforeChannelBind(API_SOCKET_CHANNEL, channel, fd, local, boundAlready);
  }

  @Override
  public void beforeChannelBind(
      int api, Object channel, FileDescriptor fd, SocketAddress local, Object boundAlready) {
    Api which = Api.of(api);
    BindOutcome outcome;
    InetAddress address = null;
    int port = 0;
    if (boundAlready != null) {
      outcome = BindOutcome.ALREADY_BOUND;
    } else if (local == null) {
      // bind(null): the wildcard address and port 0.
      outcome = policy.beforeBind(fd, 0, false);
    } else if (local instanceof InetSocketAddress && !((InetSocketAddress) local).isUnresolved()) {
      InetSocketAddress inet = (InetSocketAddress) local;
      address = inet.getAddress();
      port = inet.getPort();
      outcome = policy.beforeBind(fd, port, false);
    } else {
      outcome = BindOutcome.NOT_INET;
    }
    recordBind(which, outcome, address, port);
    if (ledger != null) {
      ledger.bound(channel, outcome, address);
    }
    if (sites != null) {
      sites.onBind(which, outcome, channel, address, port);
    }
  }

  /**
   * A Netty epoll channel binds {@code local}. Only TCP client channels to an IP address are
   * considered: a server, datagram or unix-domain channel is never touched nor counted.
   */
  @Override
  public void beforeNettyBind(Object channel, Object socket, Object local) {
    if (!NettySockets.isTcpClient(channel)) {
      return;
    }
    BindOutcome outcome;
    InetAddress address = null;
    int port = 0;
    if (local instanceof InetSocketAddress && !((InetSocketAddress) local).isUnresolved()) {
      InetSocketAddress inet = (InetSocketAddress) local;
      address = inet.getAddress();
      port = inet.getPort();
      OwnOption own = port == 0 ? ownOption(socket) : null;
      if (own != null) {
        outcome = own.value ? BindOutcome.OWN_OPTION_ON : BindOutcome.OWN_OPTION_OFF;
      } else {
        outcome = nettyBind(socket, port);
      }
    } else {
      outcome = BindOutcome.NOT_INET;
    }
    recordBind(Api.NETTY_EPOLL, outcome, address, port);
    if (ledger != null) {
      ledger.bound(channel, outcome, address);
    }
    if (sites != null) {
      sites.onBind(Api.NETTY_EPOLL, outcome, channel, address, port);
    }
  }

  private BindOutcome nettyBind(Object socket, int port) {
    // The descriptor is read only when the policy would set the option on it.
    BindOutcome decided = policy.decide(port, false);
    if (decided != BindOutcome.APPLIED) {
      return decided;
    }
    FileDescriptor fd = NettySockets.descriptor(socket);
    if (fd == null) {
      onFailure(
          BindOutcome.FAILED,
          new IllegalStateException(
              "cannot read the descriptor of Netty socket " + socket.getClass().getName()));
      return BindOutcome.FAILED;
    }
    return policy.beforeBind(fd, port, false);
  }

  @Override
  public void nettyOwnBindAddressNoPort(Object socket, boolean value) {
    if (nettyOwnOption.size() >= MAX_OWN_OPTION && !nettyOwnOption.containsKey(socket)) {
      return; // beyond the bound the agent treats the socket as any other
    }
    nettyOwnOption.put(socket, new OwnOption(socket, value));
    anyOwnOption = true;
  }

  private OwnOption ownOption(Object socket) {
    if (!anyOwnOption) {
      return null;
    }
    OwnOption own = nettyOwnOption.get(socket);
    return own != null && own.socket.get() == socket ? own : null;
  }

  @Override
  public void afterNettyFinishConnect(
      Object channel, Object socket, boolean connected, Throwable thrown) {
    if (thrown != null) {
      afterConnect(
          API_NETTY_EPOLL,
          channel,
          NettySockets.requestedRemoteAddress(channel),
          null,
          true,
          thrown);
    } else if (connected) {
      afterConnect(
          API_NETTY_EPOLL,
          channel,
          NettySockets.remoteAddress(channel),
          NettySockets.localAddress(channel),
          true,
          null);
    }
  }

  /** Netty's native errors name the call: {@code "bind(..) failed: Address already in use"}. */
  static boolean isNettyBindFailure(Throwable thrown) {
    String message = thrown.getMessage();
    return message != null && message.startsWith("bind(");
  }

  @Override
  public void afterBindFailure(int api, Object socket, Object local, Throwable thrown) {
    if (api == API_NETTY_EPOLL && !NettySockets.isTcpClient(socket)) {
      return;
    }
    Api which = Api.of(api);
    ConnectFailure cause = ConnectFailure.classify(thrown);
    if (ledger != null) {
      ledger.bindFailed(socket, local, cause);
    }
    if (sites != null) {
      sites.onBindFailure(socket, thrown);
    }
    if (stats.bindFailed(which, cause)) {
      reporter.submit(
          new Finding(
              Finding.Kind.BIND_FAILURE, which, thrown, String.valueOf(local), new Throwable()));
    }
  }

  @Override
  public void afterConnect(
      int api, Object socket, Object remote, Object local, boolean completed, Throwable thrown) {
    if (api == API_NETTY_EPOLL) {
      if (!NettySockets.isTcpClient(socket)) {
        return;
      }
      if (thrown != null && isNettyBindFailure(thrown)) {
        // doConnect(remote, local) binds first; its bind failed, the connect never ran.
        afterBindFailure(api, socket, local, thrown);
        return;
      }
    }
    Api which = Api.of(api);
    if (sites != null) {
      sites.onConnect(socket, remote, completed, thrown);
    }
    if (thrown != null) {
      ConnectFailure cause = ConnectFailure.classify(thrown);
      if (ledger != null) {
        ledger.connectFailed(remote, cause);
      }
      if (stats.connectFailed(which, cause)) {
        reporter.submit(
            new Finding(
                Finding.Kind.CONNECT_FAILURE,
                which,
                thrown,
                String.valueOf(remote),
                new Throwable()));
      }
    } else if (completed) {
      stats.connectSucceeded(which);
      if (ledger != null) {
        ledger.connected(socket, remote, local);
      }
    } else {
      stats.connectInProgress(which);
      if (ledger != null && which == Api.ASYNC_SOCKET_CHANNEL) {
        // Completes on the poller thread, whose stack has no application frame.
        ledger.connectPending(remote);
      }
    }
  }

  @Override
  public void beforeClose(int api, Object socket) {
    if (ledger != null) {
      ledger.closed(socket);
    }
  }

  /**
   * The application reads a socket's local address. A socket whose port the agent deferred (cached
   * port 0) gets its port now, as the JDK would have given it at bind; the read then returns it. In
   * audit mode (the only mode that asks for reads of ports already set) a read between bind and
   * connect of a sampled socket that enforce would have deferred is counted for its call site.
   */
  @Override
  public void localAddressRead(int api, Object socket, int cachedPort) {
    if (cachedPort != 0) {
      if (audit && sites != null && sites.onLocalRead(socket)) {
        stats.localPortReadBeforeConnect(Api.of(api));
      }
      return;
    }
    if (!policy.hasApplied()) {
      return;
    }
    Api which = Api.of(api);
    switch (DeferredPorts.assignPort(socket)) {
      case ASSIGNED:
        if (sites != null) {
          sites.onLocalRead(socket);
        }
        if (ledger != null) {
          ledger.portAssignedBeforeConnect(socket);
        }
        if (stats.localPortReadBeforeConnect(which)) {
          reporter.submit(
              new Finding(
                  Finding.Kind.PORT_READ_BEFORE_CONNECT, which, null, null, new Throwable()));
        }
        break;
      case NO_PORT_LEFT:
        if (reportedErrors.putIfAbsent("noPortLeft", Boolean.TRUE) == null) {
          reporter.submit(
              new Finding(
                  Finding.Kind.PORT_READ_BEFORE_CONNECT,
                  which,
                  DeferredPorts.lastFailure(),
                  null,
                  new Throwable()));
        }
        break;
      case FAILED:
        onInternalError("localAddressRead", DeferredPorts.lastFailure());
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

  @Override
  public int beforeSetLinger(int api, Object socket, boolean on, int seconds) {
    return linger.beforeSetLinger(Api.of(api), socket, on, seconds);
  }

  @Override
  public void beforeClose(Object socket) {
    if (anyOwnOption) {
      nettyOwnOption.remove(socket); // a Netty socket: its descriptor number is free for reuse now
    }
    linger.beforeClose(socket);
  }

  @Override
  public void afterClose(Object socket) {
    linger.afterClose(socket);
  }

  private void recordBind(Api api, BindOutcome outcome, InetAddress address, int port) {
    if (stats.bind(api, outcome) && outcome.isClientPortZero()) {
      String local = (address == null ? "*" : address.getHostAddress()) + ":" + port;
      reporter.submit(new Finding(Finding.Kind.FIRST_BIND, api, outcome, local, new Throwable()));
    }
  }

  /** The value an application gave Netty's own option, and which socket it was given on. */
  private static final class OwnOption {
    final WeakReference<Object> socket;
    final boolean value;

    OwnOption(Object socket, boolean value) {
      this.socket = new WeakReference<Object>(socket);
      this.value = value;
    }
  }
}
