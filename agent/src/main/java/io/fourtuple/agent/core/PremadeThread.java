package io.fourtuple.agent.core;

import io.fourtuple.bootstrap.Dispatcher;

/**
 * A daemon thread of the agent's, made on the thread that loads the agent and given its work later:
 * the part that runs on it may be built at the first socket event, on an application thread, and a
 * thread made there would inherit that thread's group, context class loader and inheritable
 * thread-locals (keeping the application's objects, or its class loader, alive for good). Marked as
 * an agent thread first, so the sockets and files its work touches skip the hooks.
 */
public final class PremadeThread extends Thread {
  private volatile Runnable work;

  public PremadeThread(String name) {
    super(name);
    setDaemon(true);
  }

  /** This thread, to run {@code work} once started; called once, before {@link #start}. */
  public Thread runs(Runnable work) {
    this.work = work;
    return this;
  }

  @Override
  public void run() {
    Dispatcher.markAgentThread();
    Runnable w = work;
    if (w != null) {
      w.run();
    }
  }
}
