package io.fourtuple.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.not;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.utility.JavaModule;

/**
 * Puts the hooks into the JVM: bootstrap injection, module edges, and one Byte Buddy transformer for the
 * three JDK socket classes. The only place (with the instrumentation classes beside it) that knows Byte
 * Buddy.
 *
 * <p>Choices that matter, each learned on a real JDK:
 *
 * <ul>
 *   <li>Retransformation with {@code disableClassFormatChanges()}: works for classes already loaded (hot
 *       attach) and keeps the original bytecode restorable.
 *   <li>{@code DiscoveryStrategy.Reiterating}: with the default, JDK 25 loaded {@code java.net.Socket}'s
 *       classes while another class was being transformed and they were silently never instrumented.
 *   <li>An explicit {@code ignore} of everything but the target names: Byte Buddy's default ignores the
 *       bootstrap loader, where all targets live, and a name check is the cheapest filter for every other
 *       class the JVM loads.
 * </ul>
 */
public final class Installer {
  private Installer() {}

  /** Injects the bootstrap zone and opens modules. Must run before anything uses the dispatcher. */
  public static void prepare(Instrumentation instrumentation, Class<?> agentClass) throws Exception {
    BootstrapInjector.inject(instrumentation, agentClass.getClassLoader());
    ModuleAccess.open(
        instrumentation, Class.forName(BootstrapInjector.CLASSES.get(1), false, null), agentClass);
  }

  /** Whether an earlier load of the agent in this JVM injected the bootstrap zone already. */
  public static boolean bootstrapPresent() {
    return BootstrapInjector.alreadyInjected();
  }

  /**
   * Installs the transformer and retransforms any target class already loaded.
   *
   * @return the installed transformer and what went wrong while transforming, if anything
   */
  public static Installation install(Instrumentation instrumentation) {
    Installation installation = new Installation();
    ClassFileTransformer transformer =
        new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
            .disableClassFormatChanges()
            .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
            .with(AgentBuilder.RedefinitionStrategy.DiscoveryStrategy.Reiterating.INSTANCE)
            .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
            .with(AgentBuilder.TypeStrategy.Default.DECORATE)
            .with(installation)
            .ignore(
                not(
                    namedOneOf(
                        NioSocketImplInstrumentation.TYPE,
                        PlainSocketImplInstrumentation.TYPE,
                        SocketChannelImplInstrumentation.TYPE)))
            .type(named(NioSocketImplInstrumentation.TYPE))
            .transform(new NioSocketImplInstrumentation())
            .type(named(PlainSocketImplInstrumentation.TYPE))
            .transform(new PlainSocketImplInstrumentation())
            .type(named(SocketChannelImplInstrumentation.TYPE))
            .transform(new SocketChannelImplInstrumentation())
            .installOn(instrumentation);
    installation.transformer = transformer;
    return installation;
  }

  /** The result of {@link #install}: which classes were hooked and which failed. */
  public static final class Installation extends AgentBuilder.Listener.Adapter {
    private final List<String> transformed = Collections.synchronizedList(new ArrayList<String>());
    private final List<String> failed = Collections.synchronizedList(new ArrayList<String>());
    volatile ClassFileTransformer transformer;

    Installation() {}

    @Override
    public void onTransformation(
        TypeDescription type,
        ClassLoader loader,
        JavaModule module,
        boolean loaded,
        DynamicType dynamicType) {
      transformed.add(type.getName());
    }

    @Override
    public void onError(
        String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable error) {
      failed.add(typeName + ": " + error);
    }

    /** Classes hooked so far (others are hooked when the JVM loads them). */
    public List<String> transformed() {
      synchronized (transformed) {
        return new ArrayList<String>(transformed);
      }
    }

    /** Classes that could not be hooked, with the reason; they run unchanged. */
    public List<String> failed() {
      synchronized (failed) {
        return new ArrayList<String>(failed);
      }
    }

    public ClassFileTransformer transformer() {
      return transformer;
    }
  }
}
