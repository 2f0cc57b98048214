package io.fourtuple.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import io.fourtuple.bootstrap.Dispatcher;
import io.fourtuple.bootstrap.SocketHooks;
import java.io.FileDescriptor;
import java.net.SocketAddress;
import java.security.ProtectionDomain;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * {@code sun.nio.ch.SocketChannelImpl}: every {@code SocketChannel}, its {@code socket()} adaptor, and what
 * Netty's NIO transport and the JDK {@code HttpClient} use underneath. Always a client (listeners are {@code
 * ServerSocketChannelImpl}).
 *
 * <p>Bind: on JDK 16+ the IP path is the private {@code netBind(SocketAddress)}, called with the state lock
 * held and never for unix-domain addresses; on 8–15 it is {@code bind(SocketAddress)} itself, entered
 * before any lock (so the advice passes the current local address to skip an already-bound channel), and
 * its synthetic bridge {@code bind} returning {@code NetworkChannel} is excluded so the advice runs once.
 * Connect: {@code connect(SocketAddress)} and, for non-blocking channels, {@code finishConnect()}.
 */
final class SocketChannelImplInstrumentation implements AgentBuilder.Transformer {
  static final String TYPE = "sun.nio.ch.SocketChannelImpl";

  @Override
  public DynamicType.Builder<?> transform(
      DynamicType.Builder<?> builder,
      TypeDescription type,
      ClassLoader loader,
      JavaModule module,
      ProtectionDomain domain) {
    boolean hasNetBind = !type.getDeclaredMethods().filter(named("netBind")).isEmpty();
    String bindMethod = hasNetBind ? "netBind" : "bind";
    return builder
        .visit(
            Advice.to(Bind.class)
                .on(
                    named(bindMethod)
                        .and(takesArguments(SocketAddress.class))
                        .and(not(isBridge()))))
        .visit(
            Advice.to(Connect.class)
                .on(named("connect").and(takesArguments(SocketAddress.class)).and(returns(boolean.class))))
        .visit(
            Advice.to(FinishConnect.class)
                .on(named("finishConnect").and(takesNoArguments()).and(returns(boolean.class))));
  }

  static final class Bind {
    private Bind() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(
        @Advice.This Object self,
        @Advice.FieldValue("fd") FileDescriptor fd,
        @Advice.FieldValue("localAddress") Object boundAlready,
        @Advice.Argument(0) SocketAddress local) {
      Dispatcher.beforeChannelBind(self, fd, local, boundAlready);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.Argument(0) SocketAddress local,
        @Advice.Thrown Throwable thrown) {
      if (thrown != null) {
        Dispatcher.afterBindFailure(SocketHooks.API_SOCKET_CHANNEL, self, local, thrown);
      }
    }
  }

  static final class Connect {
    private Connect() {}

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.Argument(0) SocketAddress remote,
        @Advice.FieldValue("localAddress") Object local,
        @Advice.Return boolean connected,
        @Advice.Thrown Throwable thrown) {
      Dispatcher.afterConnect(
          SocketHooks.API_SOCKET_CHANNEL, self, remote, local, connected, thrown);
    }
  }

  static final class FinishConnect {
    private FinishConnect() {}

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(
        @Advice.This Object self,
        @Advice.FieldValue("remoteAddress") Object remote,
        @Advice.FieldValue("localAddress") Object local,
        @Advice.Return boolean connected,
        @Advice.Thrown Throwable thrown) {
      if (connected || thrown != null) {
        Dispatcher.afterConnect(
            SocketHooks.API_SOCKET_CHANNEL, self, remote, local, true, thrown);
      }
    }
  }
}
