package io.fourtuple.samples;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Listeners bound to port 0 must still get a port and accept: the agent must never defer the port
 * of a server socket. Binds a {@code ServerSocket}, a {@code ServerSocketChannel} and an {@code
 * AsynchronousServerSocketChannel} to (loopback, 0), connects a client of the same API to each (the
 * asynchronous client bound to (loopback, 0) first, as a pinned client would be), and accepts it.
 *
 * <p>Prints {@code RESULT serverSocketPort=N serverChannelPort=N accepted=2 asyncServerPort=N
 * asyncAccepted=1}.
 */
public final class ServerPortZero {
  public static void main(String[] args) throws Exception {
    InetAddress loopback = InetAddress.getByName(args.length > 0 ? args[0] : "127.0.0.1");
    int accepted = 0;

    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(loopback, 0));
    int serverSocketPort = server.getLocalPort();
    Socket client = new Socket();
    client.connect(new InetSocketAddress(loopback, serverSocketPort), 5000);
    Socket peer = server.accept();
    if (peer.getPort() == client.getLocalPort()) {
      accepted++;
    }

    ServerSocketChannel serverChannel = ServerSocketChannel.open();
    serverChannel.bind(new InetSocketAddress(loopback, 0));
    int serverChannelPort = ((InetSocketAddress) serverChannel.getLocalAddress()).getPort();
    SocketChannel clientChannel =
        SocketChannel.open(new InetSocketAddress(loopback, serverChannelPort));
    SocketChannel peerChannel = serverChannel.accept();
    if (((InetSocketAddress) peerChannel.getRemoteAddress()).getPort()
        == ((InetSocketAddress) clientChannel.getLocalAddress()).getPort()) {
      accepted++;
    }

    AsynchronousServerSocketChannel asyncServer = AsynchronousServerSocketChannel.open();
    asyncServer.bind(new InetSocketAddress(loopback, 0));
    int asyncServerPort = ((InetSocketAddress) asyncServer.getLocalAddress()).getPort();
    AsynchronousSocketChannel asyncClient = AsynchronousSocketChannel.open();
    asyncClient.bind(new InetSocketAddress(loopback, 0));
    asyncClient.connect(new InetSocketAddress(loopback, asyncServerPort)).get(5, TimeUnit.SECONDS);
    AsynchronousSocketChannel asyncPeer = asyncServer.accept().get(5, TimeUnit.SECONDS);
    int asyncAccepted =
        ((InetSocketAddress) asyncPeer.getRemoteAddress()).getPort()
                == ((InetSocketAddress) asyncClient.getLocalAddress()).getPort()
            ? 1
            : 0;

    System.out.printf(
        "RESULT serverSocketPort=%d serverChannelPort=%d accepted=%d asyncServerPort=%d"
            + " asyncAccepted=%d%n",
        serverSocketPort, serverChannelPort, accepted, asyncServerPort, asyncAccepted);
    asyncClient.close();
    asyncPeer.close();
    asyncServer.close();
    client.close();
    peer.close();
    server.close();
    clientChannel.close();
    peerChannel.close();
    serverChannel.close();
  }
}
