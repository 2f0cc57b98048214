package shaded.io.netty.channel.epoll;

/** A stand-in for a relocated Netty's event loop: a framework frame under a call-site test. */
public final class EpollEventLoop {
  private EpollEventLoop() {}

  /** Runs {@code task} from this framework method. */
  public static void run(Runnable task) {
    task.run();
  }
}
