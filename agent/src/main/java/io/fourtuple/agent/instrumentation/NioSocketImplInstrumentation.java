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
 * {@code sun.nio.ch.NioSocketImpl}: the implementation behind {@code java.net.Socket} on JDK 13+ (unless
 * {@code -Djdk.net.usePlainSocketImpl=true} on 13–17). Hooks {@code bind(InetAddress,int)} and {@code
 * connect(SocketAddress,int)}.
 *
 * <p>Hazards: {@code bind} is also the bind of every {@code ServerSocket}; the private {@code server} field
 * tells them apart and the policy never touches a listener (the JDK reads the bound port right after bind,
 * and a listener without one fails with "Not bound"). The advice runs before {@code bind} takes the state
 * lock; the descriptor is {@code SocketImpl.fd}, created by {@code create()} before any bind.
 */
final class NioSocketImplInstrumentation implements AgentBuilder.Transformer {
  static final String TYPE = "sun.nio.ch.NioSocketImpl";

  @Override
  public DynamicType.Builder<?> transform(
      DynamicType.Builder<?> builder,
      TypeDescription type,
      ClassLoader loader,
      JavaModule module,
      ProtectionDomain domain) {
    return builder
        .visit(
            Advice.to(Bind.class)
                .on(named("bind").and(takesArguments(InetAddress.class, int.class))))
        .visit(
            Advice.to(Connect.class)
                .on(named("connect").and(takesArguments(SocketAddress.class, int.class))));
  }

  static final class Bind {
    private Bind() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(
        @Advice.This Object self,
        @Advice.FieldValue("fd") FileDescriptor fd,
        @Advice.FieldValue("server") boolean server,
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
