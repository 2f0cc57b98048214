package io.fourtuple.clients;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * The PostgreSQL JDBC driver with its {@code localSocketAddress} connection property: the driver
 * binds its {@code java.net.Socket} to (address, 0) before connecting. A held connection is an open
 * {@link Connection}; finishing asks the server which client address and server address it sees.
 */
final class PgJdbc implements HeldClient {
  @Override
  public String library() {
    return "org.postgresql:postgresql";
  }

  @Override
  public String version() {
    return Versions.of(Driver.class);
  }

  @Override
  public String setting() {
    return "localSocketAddress";
  }

  @Override
  public Held open(InetSocketAddress destination, InetAddress source) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("localSocketAddress", source.getHostAddress());
    props.setProperty("sslmode", "disable");
    props.setProperty("gssEncMode", "disable");
    props.setProperty("connectTimeout", "10");
    String url =
        "jdbc:postgresql://"
            + destination.getHostString()
            + ":"
            + destination.getPort()
            + "/postgres";
    Connection connection = DriverManager.getConnection(url, props);
    return () -> {
      try (connection;
          Statement st = connection.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "select host(inet_client_addr()), host(inet_server_addr()),"
                      + " inet_server_port()")) {
        rs.next();
        String seen = rs.getString(1) + " -> " + rs.getString(2) + ":" + rs.getInt(3);
        String want =
            source.getHostAddress()
                + " -> "
                + destination.getAddress().getHostAddress()
                + ":"
                + destination.getPort();
        return seen.equals(want) ? null : "server saw " + seen + ", expected " + want;
      }
    };
  }
}
