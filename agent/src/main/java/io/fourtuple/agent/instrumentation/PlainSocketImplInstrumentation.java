package io.fourtuple.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.fourtuple.bootstrap.Dispatcher;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.security.ProtectionDomain;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * {@code java.net.AbstractPlainSocketImpl}: the implementation behind {@code java.net.Socket} on JDK 8–12,
 * and on 13–17 with {@code -Djdk.net.usePlainSocketImpl=true}. Hooks {@code bind(InetAddress,int)} and
 * {@code connect(SocketAddress,int)} (the one {@code SocksSocketImpl} calls for direct connections).
 *
 * <p>Hazards: the same implementation serves listeners. How it knows differs by JDK: on 8–12 {@code
 * SocketImpl.serverSocket} is set for a listener, on 13–17 the field {@code isServer} is. The variant is
 * chosen per loaded class from its fields, never from the version string.
 */
final class PlainSocketImplInstrumentation implements AgentBuilder.Transformer {
  static final String TYPE = "java.net.AbstractPlainSocketImpl";

  @Override
  public DynamicType.Builder<?> transform(
      DynamicType.Builder<?> builder,
      TypeDescription type,
      ClassLoader loader,
      JavaModule module,
      ProtectionDomain domain) {
    boolean hasIsServer = !type.getDeclaredFields().filter(named("isServer")).isEmpty();
    Class<?> bindAdvice = hasIsServer ? BindWithIsServer.class : BindWithServerSocket.class;
    return builder
        .visit(
            Advice.to(bindAdvice)
                .on(named("bind").and(takesArguments(InetAddress.class, int.class))))
        .visit(
            Advice.to(Connect.class)
                .on(named("connect").and(takesArguments(SocketAddress.class, int.class))));
  }

  /** JDK 8–12: a listener's implementation has {@code serverSocket} set. */
  static final class BindWithServerSocket {
    private BindWithServerSocket() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(
        @Advice.This Object self,
        @Advice.FieldValue("fd") FileDescriptor fd,
        @Advice.FieldValue("serverSocket") Object serverSocket,
        @Advice.Argument(0) InetAddress address,
        @Advice.Argument(1) int port) {
      Dispatcher.beforeSocketBind(self, fd, address, port, serverSocket != null);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.Argument(0) InetAddress address,
        @Advice.Argument(1) int port,
        @Advice.Thrown Throwable thrown) {
      if (thrown != null) {
        Dispatcher.afterSocketBindFailure(self, address, port, thrown);
      }
    }
  }

  /** JDK 13–17 with the plain implementation selected: {@code isServer} marks a listener. */
  static final class BindWithIsServer {
    private BindWithIsServer() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(
        @Advice.This Object self,
        @Advice.FieldValue("fd") FileDescriptor fd,
        @Advice.FieldValue("isServer") boolean server,
        @Advice.Argument(0) InetAddress address,
        @Advice.Argument(1) int port) {
      Dispatcher.beforeSocketBind(self, fd, address, port, server);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.Argument(0) InetAddress address,
        @Advice.Argument(1) int port,
        @Advice.Thrown Throwable thrown) {
      if (thrown != null) {
        Dispatcher.afterSocketBindFailure(self, address, port, thrown);
      }
    }
  }

  static final class Connect {
    private Connect() {}

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.Argument(0) SocketAddress remote,
        @Advice.FieldValue("localport") int localPort,
        @Advice.Thrown Throwable thrown) {
      Dispatcher.afterSocketConnect(self, remote, localPort, thrown);
    }
  }
}
