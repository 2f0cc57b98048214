package io.fourtuple.clients;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-java on grpc-netty-shaded, whose Netty is relocated to {@code io.grpc.netty.shaded.io.netty}
 * with its epoll library renamed to match, with {@code NettyChannelBuilder.localSocketPicker}. One
 * {@link ManagedChannel} per connection; a health check opens it and a second one, at the end,
 * checks it still works.
 */
final class GrpcNettyShaded implements HeldClient {
  @Override
  public String library() {
    return "io.grpc:grpc-netty-shaded";
  }

  @Override
  public String version() {
    return Versions.of(NettyChannelBuilder.class);
  }

  @Override
  public String setting() {
    return "NettyChannelBuilder.localSocketPicker";
  }

  /**
   * Whether gRPC's relocated Netty can use epoll (then it does: grpc-netty-shaded prefers it). No
   * Netty version: the shaded jar carries no version file of its own, and Netty's {@code Version}
   * would report the unrelocated copy's.
   */
  @Override
  public String facts() {
    return "epollAvailable=" + Epoll.isAvailable();
  }

  @Override
  public Held open(InetSocketAddress destination, InetAddress source) throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(destination)
            .usePlaintext()
            .localSocketPicker(
                new NettyChannelBuilder.LocalSocketPicker() {
                  @Override
                  public SocketAddress createSocketAddress(
                      SocketAddress remoteAddress, Attributes attrs) {
                    return new InetSocketAddress(source, 0);
                  }
                })
            .build();
    try {
      check(channel);
    } catch (RuntimeException e) {
      // A failed channel would keep reconnecting in the background; it holds nothing, so end it.
      channel.shutdownNow();
      throw e;
    }
    return () -> {
      try {
        HealthCheckResponse.ServingStatus status = check(channel);
        return status == HealthCheckResponse.ServingStatus.SERVING ? null : "health " + status;
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    };
  }

  private static HealthCheckResponse.ServingStatus check(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance())
        .getStatus();
  }
}
