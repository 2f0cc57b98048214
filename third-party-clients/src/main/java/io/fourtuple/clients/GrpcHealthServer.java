package io.fourtuple.clients;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;

/**
 * The server for the gRPC client: grpc-java's standard health service, SERVING, on every {@code
 * ip:port} given. Prints {@code LISTENING} once bound and runs until killed.
 *
 * <pre>
 * java -cp ... io.fourtuple.clients.GrpcHealthServer 127.0.0.1:50051,127.0.0.1:50052
 * </pre>
 */
public final class GrpcHealthServer {
  private GrpcHealthServer() {}

  public static void main(String[] args) throws Exception {
    String[] listen = args[0].split(",");
    NettyServerBuilder builder = null;
    for (String address : listen) {
      int colon = address.lastIndexOf(':');
      InetSocketAddress at =
          new InetSocketAddress(
              address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
      builder = builder == null ? NettyServerBuilder.forAddress(at) : builder.addListenAddress(at);
    }
    HealthStatusManager health = new HealthStatusManager();
    Server server = builder.addService(health.getHealthService()).build().start();
    System.out.println("LISTENING " + server.getListenSockets());
    server.awaitTermination();
  }
}
