package com.example.app;

/** An application frame for call-site tests: the agent's tests are platform frames themselves. */
public final class OrderClient {
  private OrderClient() {}

  /** Runs {@code work} (a hook event, in a test) from this application method. */
  public static void open(Runnable work) {
    work.run();
  }
}
