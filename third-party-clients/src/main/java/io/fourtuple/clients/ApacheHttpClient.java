package io.fourtuple.clients;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;

/**
 * Apache HttpClient 4.5 with {@code RequestConfig.setLocalAddress}: its socket factory binds a
 * plain {@code java.net.Socket} to (address, 0) before connecting. A connection stays leased while
 * its response body (the server's large file) is unread.
 */
final class ApacheHttpClient implements HeldClient {
  private final BodyCheck expected;
  private final PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager();
  private final CloseableHttpClient client;

  ApacheHttpClient(BodyCheck expected) {
    this.expected = expected;
    pool.setMaxTotal(10_000);
    pool.setDefaultMaxPerRoute(10_000);
    client = HttpClients.custom().setConnectionManager(pool).build();
  }

  @Override
  public String library() {
    return "org.apache.httpcomponents:httpclient";
  }

  @Override
  public String version() {
    return Versions.of(CloseableHttpClient.class);
  }

  @Override
  public String setting() {
    return "RequestConfig.setLocalAddress";
  }

  @Override
  public Held open(InetSocketAddress destination, InetAddress source) throws Exception {
    HttpGet get =
        new HttpGet(
            "http://" + destination.getHostString() + ":" + destination.getPort() + "/big.bin");
    get.setConfig(
        RequestConfig.custom()
            .setLocalAddress(source)
            .setConnectTimeout(10_000)
            .setSocketTimeout(30_000)
            .build());
    CloseableHttpResponse response = client.execute(get);
    return () -> {
      try (response;
          InputStream body = response.getEntity().getContent()) {
        int status = response.getStatusLine().getStatusCode();
        if (status != 200) {
          return "HTTP status " + status;
        }
        return expected.compare(BodyCheck.of(body));
      }
    };
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
