package io.fourtuple.samples;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What an application can observe of its sockets between {@code bind} and {@code connect}, and what
 * the JDK does with bad usages of the bind path: one line per scenario, the same with and without
 * the agent when the agent is transparent. Ports are printed as {@code port>0} or {@code port=0} so
 * that two runs compare line by line.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.SocketSemantics [--only PREFIX]
 * </pre>
 *
 * The socket implementation scenarios create the JDK's own implementation class by reflection (as
 * the OpenJDK's {@code java/net/SocketImpl/BadUsages} test does); they need {@code --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.net=ALL-UNNAMED} on JDK 9+ and print
 * {@code skipped} without them. The last line is {@code RESULT scenarios=N}.
 */
public final class SocketSemantics {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  interface Scenario {
    String run() throws Exception;
  }

  private static final List<String> names = new ArrayList<String>();
  private static final List<Scenario> scenarios = new ArrayList<Scenario>();

  public static void main(String[] args) throws Exception {
    String only = args.length == 2 && args[0].equals("--only") ? args[1] : "";
    final ServerSocket listener = new ServerSocket(0, 512, LOOPBACK);
    final InetSocketAddress server = (InetSocketAddress) listener.getLocalSocketAddress();
    Thread acceptor =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                List<Socket> accepted = new ArrayList<Socket>();
                try {
                  while (true) {
                    accepted.add(listener.accept());
                  }
                } catch (IOException closed) {
                  // done
                }
              }
            },
            "acceptor");
    acceptor.setDaemon(true);
    acceptor.start();

    socketScenarios(server);
    channelScenarios(server);
    asyncScenarios(server);
    otherHookScenarios(server);
    implScenarios();

    int n = 0;
    for (int i = 0; i < scenarios.size(); i++) {
      if (!names.get(i).startsWith(only)) {
        continue;
      }
      String result;
      try {
        result = scenarios.get(i).run();
      } catch (Throwable t) {
        result = describe(t);
      }
      System.out.println(names.get(i) + ": " + result);
      n++;
    }
    listener.close();
    System.out.println("RESULT scenarios=" + n);
  }

  private static void add(String name, Scenario s) {
    names.add(name);
    scenarios.add(s);
  }

  static String describe(Throwable t) {
    if (t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null) {
      t = t.getCause();
    }
    return "threw "
        + t.getClass().getName()
        + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  static String port(int p) {
    return p > 0 ? "port>0" : "port=" + p;
  }

  static int portOf(SocketAddress a) {
    return a == null ? -1 : ((InetSocketAddress) a).getPort();
  }

  /** Binds a second socket to {@code port}: the JDK must refuse while the first holds it. */
  static String secondBind(int port) {
    Socket other = new Socket();
    try {
      other.bind(new InetSocketAddress(LOOPBACK, port));
      return "second bind to that port succeeded";
    } catch (BindException expected) {
      return "second bind to that port refused";
    } catch (IOException e) {
      return "second bind: " + describe(e);
    } finally {
      close(other);
    }
  }

  static void close(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  private static void socketScenarios(final InetSocketAddress server) {
    add(
        "socket bind(lo,0) getLocalPort, second bind, connect keeps it",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              int before = s.getLocalPort();
              String second = secondBind(before);
              s.connect(server, 5000);
              return port(before)
                  + ", "
                  + second
                  + ", kept after connect "
                  + (s.getLocalPort() == before);
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind(null) getLocalPort",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(null);
              return port(s.getLocalPort()) + ", " + port(portOf(s.getLocalSocketAddress()));
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind(lo,0) getLocalSocketAddress",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              InetSocketAddress a = (InetSocketAddress) s.getLocalSocketAddress();
              return port(a.getPort()) + " " + a.getAddress().isLoopbackAddress();
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket reuseaddr bind(lo,0) then another socket binds its port",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.setReuseAddress(true);
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              return secondBind(s.getLocalPort());
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket free port idiom (bind null, read, close, listen on it)",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            s.bind(null);
            int p = s.getLocalPort();
            s.close();
            if (p <= 0) {
              return port(p);
            }
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            try {
              ss.bind(new InetSocketAddress(p));
              return "listening on it: " + (ss.getLocalPort() == p);
            } finally {
              ss.close();
            }
          }
        });
    add(
        "socket unbound getLocalPort",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              return port(s.getLocalPort()) + " " + s.getLocalSocketAddress();
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              return "bound twice";
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            s.close();
            s.bind(new InetSocketAddress(LOOPBACK, 0));
            return "bound";
          }
        });
    add(
        "socket bind unresolved",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(InetSocketAddress.createUnresolved("unresolved.invalid", 0));
              return "bound";
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind after connect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.connect(server, 5000);
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              return "bound";
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind(lo,0) connect without reading: port after connect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              s.connect(server, 5000);
              return port(s.getLocalPort()) + " " + s.isBound() + " " + s.isConnected();
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind(lo,0) close while another thread reads the port (x200)",
        new Scenario() {
          @Override
          public String run() throws Exception {
            int done = 0;
            for (int i = 0; i < 200; i++) {
              final Socket s = new Socket();
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              final CountDownLatch go = new CountDownLatch(1);
              Thread closer =
                  new Thread(
                      new Runnable() {
                        @Override
                        public void run() {
                          try {
                            go.await();
                            s.close();
                          } catch (Exception ignored) {
                            // nothing
                          }
                        }
                      });
              closer.start();
              go.countDown();
              s.getLocalPort(); // a port, or 0 once closed: which depends on the race
              closer.join();
              done++;
            }
            return "completed " + done;
          }
        });
  }

  /** The other hooked methods: connect, close and SO_LINGER, each through its bad usages. */
  private static void otherHookScenarios(final InetSocketAddress server) {
    add(
        "socket connect unresolved",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.connect(InetSocketAddress.createUnresolved("unresolved.invalid", 80), 1000);
              return "connected";
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket connect after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            s.close();
            s.connect(server, 1000);
            return "connected";
          }
        });
    add(
        "socket connect twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              s.connect(server, 1000);
              s.connect(server, 1000);
              return "connected twice";
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket bind(lo,0) connect refused, then read the port",
        new Scenario() {
          @Override
          public String run() throws Exception {
            ServerSocket gone = new ServerSocket(0, 1, LOOPBACK);
            InetSocketAddress nobody = (InetSocketAddress) gone.getLocalSocketAddress();
            gone.close();
            Socket s = new Socket();
            try {
              s.bind(new InetSocketAddress(LOOPBACK, 0));
              s.connect(nobody, 1000);
              return "connected";
            } catch (IOException e) {
              return describe(e) + ", closed " + s.isClosed();
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket setSoLinger on a closed socket",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            s.close();
            s.setSoLinger(true, 1000);
            return "set";
          }
        });
    add(
        "socket setSoLinger negative, too large, off; read back",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            try {
              String negative;
              try {
                s.setSoLinger(true, -5);
                negative = "accepted";
              } catch (IllegalArgumentException e) {
                negative = describe(e);
              }
              s.setSoLinger(true, 70000);
              int large = s.getSoLinger();
              s.setSoLinger(false, 5);
              return negative + ", 70000 reads back " + large + ", off reads " + s.getSoLinger();
            } finally {
              s.close();
            }
          }
        });
    add(
        "socket close twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Socket s = new Socket();
            s.setSoLinger(true, 1);
            s.close();
            s.close();
            return "closed " + s.isClosed();
          }
        });
    add(
        "channel connect unresolved, after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            String unresolved;
            try {
              ch.connect(InetSocketAddress.createUnresolved("unresolved.invalid", 80));
              unresolved = "connected";
            } catch (Exception e) {
              unresolved = describe(e);
            }
            ch.close();
            try {
              ch.connect(server);
              return unresolved + "; connected after close";
            } catch (Exception e) {
              return unresolved + "; " + describe(e);
            }
          }
        });
    add(
        "channel non-blocking connect, bind while pending, finishConnect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.configureBlocking(false);
              boolean now = ch.connect(server);
              String bind;
              try {
                ch.bind(new InetSocketAddress(LOOPBACK, 0));
                bind = "bound";
              } catch (Exception e) {
                bind = describe(e).replace("ConnectionPendingException", "AlreadyBoundException");
              }
              while (!now && !ch.finishConnect()) {
                Thread.sleep(1);
              }
              return "bind: " + bind + ", connected " + ch.isConnected();
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel SO_LINGER negative, too large, on a closed channel",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(java.net.StandardSocketOptions.SO_LINGER, -5);
            int off = ch.getOption(java.net.StandardSocketOptions.SO_LINGER);
            ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 70000);
            int large = ch.getOption(java.net.StandardSocketOptions.SO_LINGER);
            ch.close();
            try {
              ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 1);
              return off + " " + large + ", set after close";
            } catch (Exception e) {
              return off + " " + large + ", " + describe(e);
            }
          }
        });
    add(
        "async connect unresolved, after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            String unresolved;
            try {
              ch.connect(InetSocketAddress.createUnresolved("unresolved.invalid", 80))
                  .get(5, TimeUnit.SECONDS);
              unresolved = "connected";
            } catch (Exception e) {
              unresolved = describe(e);
            }
            ch.close();
            try {
              ch.connect(server).get(5, TimeUnit.SECONDS);
              return unresolved + "; connected after close";
            } catch (Exception e) {
              return unresolved + "; " + describe(e.getCause() == null ? e : e.getCause());
            }
          }
        });
  }

  private static void channelScenarios(final InetSocketAddress server) {
    add(
        "channel bind(lo,0) getLocalAddress, socket().getLocalPort, second bind, connect keeps it",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              int before = portOf(ch.getLocalAddress());
              int adaptor = ch.socket().getLocalPort();
              String second = secondBind(before);
              ch.connect(server);
              return port(before)
                  + ", adaptor same "
                  + (adaptor == before)
                  + ", "
                  + second
                  + ", kept after connect "
                  + (portOf(ch.getLocalAddress()) == before);
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind(null) getLocalAddress",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(null);
              return port(portOf(ch.getLocalAddress()));
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind(lo,0) socket adaptor getLocalSocketAddress first",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              int adaptor = portOf(ch.socket().getLocalSocketAddress());
              return port(adaptor) + ", channel same " + (portOf(ch.getLocalAddress()) == adaptor);
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind(lo,0) toString mentions a port",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              String text = ch.toString();
              return "mentions :0 "
                  + text.contains(":0]")
                  + ", port "
                  + port(portOf(ch.getLocalAddress()));
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              return "bound twice";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            ch.close();
            ch.bind(new InetSocketAddress(LOOPBACK, 0));
            return "bound";
          }
        });
    add(
        "channel getLocalAddress after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            ch.bind(new InetSocketAddress(LOOPBACK, 0));
            ch.close();
            return String.valueOf(ch.getLocalAddress());
          }
        });
    add(
        "channel bind unresolved",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(InetSocketAddress.createUnresolved("unresolved.invalid", 0));
              return "bound";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind unsupported address type",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new SocketAddress() {});
              return "bound";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind after connect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open(server);
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              return "bound";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind(lo,0) connect without reading: port after connect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            SocketChannel ch = SocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              ch.connect(server);
              return port(portOf(ch.getLocalAddress()));
            } finally {
              ch.close();
            }
          }
        });
    add(
        "channel bind while another thread closes it (x200)",
        new Scenario() {
          @Override
          public String run() throws Exception {
            int bound = 0;
            int closed = 0;
            int other = 0;
            for (int i = 0; i < 200; i++) {
              final SocketChannel ch = SocketChannel.open();
              final CountDownLatch go = new CountDownLatch(1);
              Thread closer =
                  new Thread(
                      new Runnable() {
                        @Override
                        public void run() {
                          try {
                            go.await();
                            ch.close();
                          } catch (Exception ignored) {
                            // nothing
                          }
                        }
                      });
              closer.start();
              go.countDown();
              try {
                ch.bind(new InetSocketAddress(LOOPBACK, 0));
                bound++;
              } catch (java.nio.channels.ClosedChannelException e) {
                closed++;
              } catch (IOException e) {
                other++;
              }
              closer.join();
            }
            // How many of each depends on the race; that every one is one of the two does not.
            return "bound or closed: " + (bound + closed == 200) + ", other: " + other;
          }
        });
  }

  private static void asyncScenarios(final InetSocketAddress server) {
    add(
        "async bind(lo,0) getLocalAddress, second bind, connect keeps it",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              int before = portOf(ch.getLocalAddress());
              String second = secondBind(before);
              ch.connect(server).get(5, TimeUnit.SECONDS);
              return port(before)
                  + ", "
                  + second
                  + ", kept after connect "
                  + (portOf(ch.getLocalAddress()) == before);
            } finally {
              ch.close();
            }
          }
        });
    add(
        "async bind(null) getLocalAddress",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            try {
              ch.bind(null);
              return port(portOf(ch.getLocalAddress()));
            } finally {
              ch.close();
            }
          }
        });
    add(
        "async bind twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              return "bound twice";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "async bind after close",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            ch.close();
            ch.bind(new InetSocketAddress(LOOPBACK, 0));
            return "bound";
          }
        });
    add(
        "async bind unresolved",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            try {
              ch.bind(InetSocketAddress.createUnresolved("unresolved.invalid", 0));
              return "bound";
            } finally {
              ch.close();
            }
          }
        });
    add(
        "async bind(lo,0) connect without reading: port after connect",
        new Scenario() {
          @Override
          public String run() throws Exception {
            AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
            try {
              ch.bind(new InetSocketAddress(LOOPBACK, 0));
              ch.connect(server).get(5, TimeUnit.SECONDS);
              return port(portOf(ch.getLocalAddress()));
            } finally {
              ch.close();
            }
          }
        });
  }

  /**
   * The JDK's socket implementation driven directly, as {@code java/net/SocketImpl/BadUsages} does:
   * bind before create, bind twice, bind after close. JDK 13+: {@code sun.nio.ch.NioSocketImpl};
   * before: {@code java.net.PlainSocketImpl}.
   */
  private static void implScenarios() {
    add(
        "impl bind without create",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Object impl = newImpl();
            if (impl == null) {
              return "skipped";
            }
            bind(impl, LOOPBACK, 0);
            return "bound";
          }
        });
    add(
        "impl create, bind twice",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Object impl = newImpl();
            if (impl == null) {
              return "skipped";
            }
            invoke(impl, "create", new Class<?>[] {boolean.class}, true);
            try {
              bind(impl, LOOPBACK, 0);
              String first = port(localPort(impl));
              try {
                bind(impl, LOOPBACK, 0);
                return first + ", second bind succeeded";
              } catch (Exception e) {
                return first + ", second bind " + describe(e);
              }
            } finally {
              invoke(impl, "close", new Class<?>[0]);
            }
          }
        });
    add(
        "impl create, close, bind",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Object impl = newImpl();
            if (impl == null) {
              return "skipped";
            }
            invoke(impl, "create", new Class<?>[] {boolean.class}, true);
            invoke(impl, "close", new Class<?>[0]);
            bind(impl, LOOPBACK, 0);
            return "bound";
          }
        });
    add(
        "impl create, bind, getLocalPort",
        new Scenario() {
          @Override
          public String run() throws Exception {
            Object impl = newImpl();
            if (impl == null) {
              return "skipped";
            }
            invoke(impl, "create", new Class<?>[] {boolean.class}, true);
            try {
              bind(impl, LOOPBACK, 0);
              return port(localPort(impl));
            } finally {
              invoke(impl, "close", new Class<?>[0]);
            }
          }
        });
  }

  /** A fresh platform socket implementation, or null where it cannot be reached. */
  static Object newImpl() {
    String[] candidates = {"sun.nio.ch.NioSocketImpl", "java.net.PlainSocketImpl"};
    for (String name : candidates) {
      try {
        Class<?> c = Class.forName(name);
        Constructor<?> k;
        try {
          k = c.getDeclaredConstructor(boolean.class);
          k.setAccessible(true);
          return k.newInstance(false);
        } catch (NoSuchMethodException noServerFlag) {
          k = c.getDeclaredConstructor();
          k.setAccessible(true);
          return k.newInstance();
        }
      } catch (ClassNotFoundException notThisJdk) {
        continue;
      } catch (Throwable inaccessible) {
        return null; // JDK 9+ without --add-opens
      }
    }
    return null;
  }

  static void bind(Object impl, InetAddress address, int port) throws Exception {
    invoke(impl, "bind", new Class<?>[] {InetAddress.class, int.class}, address, port);
  }

  static int localPort(Object impl) throws Exception {
    return ((Integer) invoke(impl, "getLocalPort", new Class<?>[0])).intValue();
  }

  static Object invoke(Object impl, String name, Class<?>[] types, Object... args)
      throws Exception {
    for (Class<?> c = impl.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Method m = c.getDeclaredMethod(name, types);
        m.setAccessible(true);
        return m.invoke(impl, args);
      } catch (NoSuchMethodException notHere) {
        continue;
      }
    }
    throw new NoSuchMethodException(name);
  }
}
