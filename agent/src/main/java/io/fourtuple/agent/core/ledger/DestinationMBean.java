package io.fourtuple.agent.core.ledger;

/**
 * The {@link DestinationMXBean} implementation: the destination's {@link DestinationSeries} of the
 * last tick, swapped in by the ledger thread (the same object the Prometheus file was written
 * from).
 */
final class DestinationMBean implements DestinationMXBean {
  private final String address;
  private final int port;
  private volatile DestinationSeries series;

  DestinationMBean(DestinationSeries series) {
    this.series = series;
    String label = series.label;
    int colon = label.lastIndexOf(':');
    String host = label.substring(0, colon);
    this.address = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    this.port = Integer.parseInt(label.substring(colon + 1));
  }

  void update(DestinationSeries series) {
    this.series = series;
  }

  @Override
  public String getPeerAddress() {
    return address;
  }

  @Override
  public int getPeerPort() {
    return port;
  }

  @Override
  public String getPeerPortText() {
    return String.valueOf(port);
  }

  @Override
  public int getEstablished() {
    DestinationSeries s = series;
    return s.kernelKnown ? s.established : -1;
  }

  @Override
  public int getTimeWait() {
    DestinationSeries s = series;
    return s.kernelKnown ? s.timeWait : -1;
  }

  @Override
  public int getFree() {
    DestinationSeries s = series;
    return s.headroomKnown ? s.free : -1;
  }

  @Override
  public int getProjected() {
    DestinationSeries s = series;
    return s.headroomKnown ? s.projected : -1;
  }

  @Override
  public int getRunsOutInSeconds() {
    return series.runsOutInSeconds;
  }

  @Override
  public long getConnects() {
    return series.connects;
  }

  @Override
  public long getFailuresEaddrnotavail() {
    return series.failures(DestinationSeries.EADDRNOTAVAIL);
  }

  @Override
  public long getFailuresEaddrinuse() {
    return series.failures(DestinationSeries.EADDRINUSE);
  }
}
