package io.fourtuple.clients;

import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Reactor Netty's HttpClient with {@code bindAddress}: Netty's {@code Bootstrap.connect(remote,
 * local)} on the native epoll transport, which binds and connects in native code, never through
 * {@code java.net}. A connection stays leased while the response body is not requested beyond its
 * first chunk.
 */
final class ReactorNettyHttp implements HeldClient {
  private final BodyCheck expected;
  private final ConnectionProvider pool =
      ConnectionProvider.builder("held").maxConnections(10_000).pendingAcquireMaxCount(-1).build();
  private final HttpClient base = HttpClient.create(pool);
  private final AtomicReference<String> channelType = new AtomicReference<>("none");

  ReactorNettyHttp(BodyCheck expected) {
    this.expected = expected;
  }

  @Override
  public String library() {
    return "io.projectreactor.netty:reactor-netty-http";
  }

  @Override
  public String version() {
    return Versions.of(HttpClient.class);
  }

  @Override
  public String setting() {
    return "HttpClient.bindAddress";
  }

  @Override
  public String facts() {
    return "netty="
        + Versions.of(Epoll.class)
        + " epollAvailable="
        + Epoll.isAvailable()
        + " channel="
        + channelType.get();
  }

  @Override
  public Held open(InetSocketAddress destination, InetAddress source) throws Exception {
    CompletableFuture<Void> first = new CompletableFuture<>();
    CompletableFuture<BodyCheck> done = new CompletableFuture<>();
    AtomicInteger status = new AtomicInteger();
    BaseSubscriber<byte[]> reader =
        new BaseSubscriber<>() {
          private final CRC32 crc = new CRC32();
          private long length;

          @Override
          protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
          }

          @Override
          protected void hookOnNext(byte[] chunk) {
            crc.update(chunk);
            length += chunk.length;
            first.complete(null);
          }

          @Override
          protected void hookOnComplete() {
            first.complete(null);
            done.complete(new BodyCheck(length, crc.getValue()));
          }

          @Override
          protected void hookOnError(Throwable error) {
            first.completeExceptionally(error);
            done.completeExceptionally(error);
          }
        };
    base.bindAddress(() -> new InetSocketAddress(source, 0))
        .doOnConnected(c -> channelType.set(c.channel().getClass().getSimpleName()))
        .get()
        .uri("http://" + destination.getHostString() + ":" + destination.getPort() + "/big.bin")
        .response(
            (response, body) -> {
              status.set(response.status().code());
              return body.asByteArray();
            })
        .subscribe(reader);
    try {
      first.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    return () -> {
      reader.request(Long.MAX_VALUE);
      BodyCheck got = done.get(60, TimeUnit.SECONDS);
      return status.get() != 200 ? "HTTP status " + status.get() : expected.compare(got);
    };
  }

  @Override
  public void close() {
    pool.disposeLater().block();
  }
}
