package io.fourtuple.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JDK's own {@code java.net.http.HttpClient} with a pinned source address ({@code
 * HttpClient.Builder.localAddress}, JDK 19+): it binds each new connection's {@code SocketChannel}
 * to (address, 0) before connecting. Starts {@code destinations} local HTTP servers (the JDK's
 * {@code com.sun.net.httpserver}), sends {@code per-destination} concurrent requests to each, and
 * has the servers hold every request until all have arrived or failed, so each request needs a
 * connection of its own. While they are held, counts the client connections in the kernel's table
 * ({@code /proc/net/tcp}, {@code tcp6}), then lets the servers answer and checks every body.
 *
 * <p>Compiled for Java 8 like the other samples, so the HttpClient (JDK 11+) is reached by
 * reflection; on a JDK without {@code localAddress} it prints {@code RESULT unsupported=1} and
 * exits with 2.
 *
 * <pre>
 * java -cp fourtuple-sample-apps.jar io.fourtuple.samples.JdkHttpClientPinned \
 *     [--source 127.0.0.1] [--destinations 10] [--per-destination 12] [--base-port 22000]
 * </pre>
 *
 * Last line: {@code RESULT attempted=N ok=N failed=N connections=N bodiesOk=N
 * destinationsReached=N}.
 */
public final class JdkHttpClientPinned {
  private static final long HOLD_LIMIT_MILLIS = 20_000;

  public static void main(String[] args) throws Exception {
    String sourceName = "127.0.0.1";
    int destinations = 10;
    int perDestination = 12;
    int basePort = 22000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--source":
          sourceName = v;
          break;
        case "--destinations":
          destinations = Integer.parseInt(v);
          break;
        case "--per-destination":
          perDestination = Integer.parseInt(v);
          break;
        case "--base-port":
          basePort = Integer.parseInt(v);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    InetAddress source = InetAddress.getByName(sourceName);
    Object client = newPinnedClient(source);
    if (client == null) {
      System.out.println(
          "HttpClient.Builder.localAddress(InetAddress) is not in JDK "
              + System.getProperty("java.version")
              + " (JDK 19+)");
      System.out.println("RESULT unsupported=1");
      System.exit(2);
    }

    final int total = destinations * perDestination;
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger arrived = new AtomicInteger();
    ExecutorService serverThreads = Executors.newCachedThreadPool();
    List<HttpServer> servers = new ArrayList<HttpServer>();
    Set<Integer> serverPorts = new HashSet<Integer>();
    for (int d = 0; d < destinations; d++) {
      final int port = basePort + d;
      HttpServer server = HttpServer.create(new InetSocketAddress(source, port), 1024);
      server.createContext(
          "/",
          new HttpHandler() {
            @Override
            public void handle(HttpExchange exchange) throws IOException {
              arrived.incrementAndGet();
              try {
                release.await(HOLD_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              byte[] body =
                  ("port=" + port + " path=" + exchange.getRequestURI().getPath())
                      .getBytes(StandardCharsets.UTF_8);
              exchange.sendResponseHeaders(200, body.length);
              OutputStream out = exchange.getResponseBody();
              out.write(body);
              out.close();
            }
          });
      server.setExecutor(serverThreads);
      server.start();
      servers.add(server);
      serverPorts.add(port);
    }

    List<CompletableFuture<?>> responses = new ArrayList<CompletableFuture<?>>();
    List<String> expected = new ArrayList<String>();
    for (int round = 0; round < perDestination; round++) {
      for (int d = 0; d < destinations; d++) {
        int port = basePort + d;
        String path = "/request-" + round + "-" + d;
        String host = source.getHostAddress().contains(":") ? "[" + sourceName + "]" : sourceName;
        responses.add(sendAsync(client, URI.create("http://" + host + ":" + port + path)));
        expected.add("port=" + port + " path=" + path);
      }
    }

    // Wait until every request is either held by a server or has failed, then count connections.
    long deadline = System.currentTimeMillis() + HOLD_LIMIT_MILLIS / 2;
    while (arrived.get() + failedSoFar(responses) < total
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    int connections = establishedTo(serverPorts);
    release.countDown();

    int ok = 0;
    int bodiesOk = 0;
    Map<String, Integer> failures = new TreeMap<String, Integer>();
    Set<String> reached = new HashSet<String>();
    for (int i = 0; i < responses.size(); i++) {
      try {
        Object response = responses.get(i).get(HOLD_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        int status = (Integer) call(response, "statusCode");
        String body = (String) call(response, "body");
        if (status == 200) {
          ok++;
          reached.add(expected.get(i).substring(0, expected.get(i).indexOf(' ')));
        }
        if (expected.get(i).equals(body)) {
          bodiesOk++;
        }
      } catch (ExecutionException e) {
        Throwable root = e.getCause();
        while (root.getCause() != null) {
          root = root.getCause();
        }
        String key = root.getClass().getName() + ": " + root.getMessage();
        Integer n = failures.get(key);
        failures.put(key, n == null ? 1 : n + 1);
      }
    }
    for (Map.Entry<String, Integer> f : failures.entrySet()) {
      System.out.printf("failed %d x %s%n", f.getValue(), f.getKey());
    }
    System.out.printf(
        "RESULT attempted=%d ok=%d failed=%d connections=%d bodiesOk=%d destinationsReached=%d%n",
        total, ok, total - ok, connections, bodiesOk, reached.size());
    for (HttpServer server : servers) {
      server.stop(0);
    }
    serverThreads.shutdownNow();
    System.exit(0); // the client's selector thread is not a daemon on every JDK
  }

  /** {@code HttpClient.newBuilder().localAddress(source).version(HTTP_1_1).build()}, or null. */
  private static Object newPinnedClient(InetAddress source) throws Exception {
    Class<?> clientType;
    try {
      clientType = Class.forName("java.net.http.HttpClient");
    } catch (ClassNotFoundException e) {
      return null;
    }
    Object builder = clientType.getMethod("newBuilder").invoke(null);
    Class<?> builderType = Class.forName("java.net.http.HttpClient$Builder");
    Method localAddress;
    try {
      localAddress = builderType.getMethod("localAddress", InetAddress.class);
    } catch (NoSuchMethodException e) {
      return null;
    }
    localAddress.invoke(builder, source);
    Class<?> version = Class.forName("java.net.http.HttpClient$Version");
    builderType
        .getMethod("version", version)
        .invoke(builder, version.getField("HTTP_1_1").get(null));
    return builderType.getMethod("build").invoke(builder);
  }

  /** {@code client.sendAsync(GET uri, BodyHandlers.ofString())}. */
  private static CompletableFuture<?> sendAsync(Object client, URI uri) throws Exception {
    Class<?> requestType = Class.forName("java.net.http.HttpRequest");
    Object requestBuilder = requestType.getMethod("newBuilder", URI.class).invoke(null, uri);
    Object request = call(requestBuilder, "build");
    Class<?> handlers = Class.forName("java.net.http.HttpResponse$BodyHandlers");
    Object ofString = handlers.getMethod("ofString").invoke(null);
    Method send =
        Class.forName("java.net.http.HttpClient")
            .getMethod(
                "sendAsync", requestType, Class.forName("java.net.http.HttpResponse$BodyHandler"));
    return (CompletableFuture<?>) send.invoke(client, request, ofString);
  }

  private static Object call(Object target, String method) throws Exception {
    Method m = publicMethod(target.getClass(), method);
    try {
      return m.invoke(target);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  /** The method as declared by a public interface or class (implementations are JDK-internal). */
  private static Method publicMethod(Class<?> type, String name) throws NoSuchMethodException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Class<?> i : c.getInterfaces()) {
        try {
          return i.getMethod(name);
        } catch (NoSuchMethodException next) {
          // try the next one
        }
      }
    }
    return type.getMethod(name);
  }

  private static int failedSoFar(List<CompletableFuture<?>> responses) {
    int n = 0;
    for (CompletableFuture<?> f : responses) {
      if (f.isCompletedExceptionally()) {
        n++;
      }
    }
    return n;
  }

  /** Client-side ESTABLISHED sockets whose remote port is one of {@code ports}, from the kernel. */
  private static int establishedTo(Set<Integer> ports) throws IOException {
    int n = 0;
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      if (!Files.exists(Paths.get(table))) {
        continue;
      }
      List<String> lines = Files.readAllLines(Paths.get(table), StandardCharsets.US_ASCII);
      for (int i = 1; i < lines.size(); i++) {
        String[] f = lines.get(i).trim().split("\\s+");
        String remote = f[2];
        int port = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
        if (f[3].equals("01") && ports.contains(port)) {
          n++;
        }
      }
    }
    return n;
  }
}
