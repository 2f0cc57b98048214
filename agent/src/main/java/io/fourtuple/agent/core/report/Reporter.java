package io.fourtuple.agent.core.report;

import io.fourtuple.agent.core.PremadeThread;
import io.fourtuple.bootstrap.Dispatcher;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * The agent's own thread for everything slow: formatting and writing log lines. Hooks hand work
 * over with {@link #submit}, which never blocks (a full queue drops the item and counts it), so no
 * hook does I/O and no log line is written while a JDK socket lock is held. The thread is marked as
 * an agent thread, so sockets it might touch never re-enter the hooks.
 */
public final class Reporter {
  static final int CAPACITY = 256;

  /** Turns a finding into log lines; runs on the reporter thread only. */
  public interface Writer {
    void write(Finding finding);
  }

  private final BlockingQueue<Finding> queue = new ArrayBlockingQueue<Finding>(CAPACITY);
  private final LongAdder dropped = new LongAdder();
  private final Logger log;
  private final Writer writer;
  private final Thread thread;

  public Reporter(Logger log, Writer writer) {
    this(log, writer, new PremadeThread("fourtuple-reporter"));
  }

  /** Draining on {@code thread}, made before (see {@link PremadeThread}). */
  public Reporter(Logger log, Writer writer, PremadeThread thread) {
    this.log = log;
    this.writer = writer;
    this.thread = thread.runs(new Drain());
  }

  public void start() {
    thread.start();
  }

  /**
   * Stops the thread (at detach) after it has written what is queued; waits up to {@code millis}.
   * Later submissions are queued and never written, which is harmless: the queue is bounded.
   */
  public void stop(long millis) throws InterruptedException {
    thread.interrupt();
    thread.join(millis);
    flush();
  }

  /**
   * Queues a finding for the reporter thread; returns false (and counts) when the queue is full.
   */
  public boolean submit(Finding finding) {
    if (queue.offer(finding)) {
      return true;
    }
    dropped.increment();
    return false;
  }

  public long dropped() {
    return dropped.sum();
  }

  /**
   * Runs what is queued now on the calling thread (used at JVM exit, when the reporter may be
   * gone).
   */
  public void flush() {
    Finding finding;
    while ((finding = queue.poll()) != null) {
      writeSafely(finding);
    }
  }

  /** A named class, not a lambda: the agent bootstraps no {@code java.lang.invoke} at JVM start. */
  private final class Drain implements Runnable {
    @Override
    public void run() {
      drain();
    }
  }

  private void drain() {
    Dispatcher.markAgentThread();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        writeSafely(queue.take());
      }
    } catch (InterruptedException stop) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeSafely(Finding finding) {
    try {
      writer.write(finding);
    } catch (Throwable t) {
      log.warn("fourtuple could not write a report: {}", t.toString());
    }
  }
}
