package io.fourtuple.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.not;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.utility.JavaModule;
import org.slf4j.Logger;

/**
 * Puts the hooks into the JVM: bootstrap injection, module edges, and one Byte Buddy transformer for the
 * three JDK socket classes, behind a {@link HookGate}. The only place (with the instrumentation classes
 * beside it) that knows Byte Buddy.
 *
 * <p>Choices that matter, each learned on a real JDK:
 *
 * <ul>
 *   <li>Byte Buddy warms up off the JVM's main thread at startup: most of the agent's cost is loading and
 *       verifying Byte Buddy's own classes, and the application only has to wait for it if it creates a
 *       socket before the warm-up is done (and then only that class load waits).
 *   <li>Retransformation with {@code disableClassFormatChanges()}: works for classes already loaded (hot
 *       attach) and keeps the original bytecode restorable.
 *   <li>Already-loaded targets are found by scanning the loaded classes after the warm-up and
 *       retransformed explicitly (with Byte Buddy's default discovery, JDK 25 silently missed classes
 *       loaded while another class was being transformed).
 *   <li>An explicit {@code ignore} of everything but the target names: Byte Buddy's default ignores the
 *       bootstrap loader, where all targets live.
 * </ul>
 */
public final class Installer {
  static final List<String> TARGETS =
      Collections.unmodifiableList(
          Arrays.asList(
              NioSocketImplInstrumentation.TYPE,
              PlainSocketImplInstrumentation.TYPE,
              SocketChannelImplInstrumentation.TYPE));

  private Installer() {}

  /**
   * Opens modules and injects the bootstrap zone. Must run before anything links against the dispatcher.
   */
  public static void prepare(Instrumentation instrumentation, Class<?> agentClass) throws Exception {
    ModuleAccess.openToAgent(instrumentation, agentClass);
    BootstrapInjector.inject(agentClass.getClassLoader());
    ModuleAccess.javaBaseReads(
        instrumentation, Class.forName(BootstrapInjector.DISPATCHER, false, null));
  }

  /** Whether an earlier load of the agent in this JVM injected the bootstrap zone already. */
  public static boolean bootstrapPresent() {
    return BootstrapInjector.alreadyInjected();
  }

  /**
   * Registers the gate at once and warms Byte Buddy up, on a thread of its own when {@code inBackground}
   * (JVM start) or on the caller's thread (hot attach, where the caller waits for the result anyway).
   */
  public static Installation install(
      Instrumentation instrumentation, boolean inBackground, Logger log) {
    HookGate gate = new HookGate(new LinkedHashSet<String>(TARGETS));
    instrumentation.addTransformer(gate, true);
    Installation installation = new Installation(instrumentation, gate, log);
    if (inBackground) {
      Thread thread = new Thread(new WarmUp(installation), "fourtuple-init");
      thread.setDaemon(true);
      thread.start();
    } else {
      installation.warmUp();
    }
    return installation;
  }

  /** The installed hooks: which classes were hooked, which failed, and how long the warm-up took. */
  public static final class Installation extends AgentBuilder.Listener.Adapter {
    private final Instrumentation instrumentation;
    private final HookGate gate;
    private final Logger log;
    private final Set<String> transformed =
        Collections.synchronizedSet(new LinkedHashSet<String>());
    private final List<String> failed = Collections.synchronizedList(new ArrayList<String>());
    private volatile boolean rehearsing;
    private volatile long warmUpMillis = -1;

    Installation(Instrumentation instrumentation, HookGate gate, Logger log) {
      this.instrumentation = instrumentation;
      this.gate = gate;
      this.log = log;
    }

    void warmUp() {
      long start = System.nanoTime();
      ClassFileTransformer transformer = null;
      try {
        transformer = build(this);
        rehearse(transformer);
      } catch (Throwable t) {
        failed.add("Byte Buddy warm-up: " + t);
        log.warn("fourtuple could not prepare its hooks; sockets run unchanged", t);
      } finally {
        gate.open(transformer);
      }
      if (transformer != null) {
        retransformLoadedTargets();
      }
      warmUpMillis = (System.nanoTime() - start) / 1_000_000;
      log.debug("hooks ready after {} ms; hooked so far: {}", warmUpMillis, transformed());
      for (String failure : failed()) {
        log.warn("could not hook {}; that class runs unchanged", failure);
      }
    }

    /**
     * Transforms each target once without defining anything, so that the first real class load finds
     * Byte Buddy's advice parsed and its classes loaded.
     */
    private void rehearse(ClassFileTransformer transformer) throws Exception {
      rehearsing = true;
      try {
        for (String target : TARGETS) {
          String internal = target.replace('.', '/');
          byte[] bytes = systemClassFile(internal + ".class");
          if (bytes != null) {
            transformer.transform(null, internal, null, null, bytes);
          }
        }
      } finally {
        rehearsing = false;
      }
    }

    private void retransformLoadedTargets() {
      List<Class<?>> pending = new ArrayList<Class<?>>();
      for (Class<?> loaded : instrumentation.getAllLoadedClasses()) {
        if (loaded.getClassLoader() == null
            && TARGETS.contains(loaded.getName())
            && !transformed.contains(loaded.getName())) {
          pending.add(loaded);
        }
      }
      for (Class<?> type : pending) {
        try {
          instrumentation.retransformClasses(type);
        } catch (Throwable t) {
          failed.add(type.getName() + ": " + t);
        }
      }
    }

    @Override
    public void onTransformation(
        TypeDescription type,
        ClassLoader loader,
        JavaModule module,
        boolean loaded,
        DynamicType dynamicType) {
      if (!rehearsing) {
        transformed.add(type.getName());
      }
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

    /** Milliseconds the warm-up took, or -1 while it runs. */
    public long warmUpMillis() {
      return warmUpMillis;
    }
  }

  private static ClassFileTransformer build(AgentBuilder.Listener listener) {
    return new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.DECORATE)
        .with(listener)
        .ignore(not(namedOneOf(TARGETS.toArray(new String[0]))))
        .type(named(NioSocketImplInstrumentation.TYPE))
        .transform(new NioSocketImplInstrumentation())
        .type(named(PlainSocketImplInstrumentation.TYPE))
        .transform(new PlainSocketImplInstrumentation())
        .type(named(SocketChannelImplInstrumentation.TYPE))
        .transform(new SocketChannelImplInstrumentation())
        .makeRaw();
  }

  /** A JDK class file by resource name ({@code .class} resources are readable across modules), or null. */
  private static byte[] systemClassFile(String resource) throws IOException {
    try (InputStream in = ClassLoader.getSystemResourceAsStream(resource)) {
      if (in == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    }
  }

  /** Runs the warm-up on the agent's init thread, which never re-enters the hooks. */
  private static final class WarmUp implements Runnable {
    private final Installation installation;

    WarmUp(Installation installation) {
      this.installation = installation;
    }

    @Override
    public void run() {
      io.fourtuple.bootstrap.Dispatcher.markAgentThread();
      installation.warmUp();
    }
  }
}
