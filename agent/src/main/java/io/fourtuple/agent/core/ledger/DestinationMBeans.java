package io.fourtuple.agent.core.ledger;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;

/**
 * The per-destination MBeans ({@link DestinationMXBean}): one for each destination with a series of
 * its own, registered and unregistered at ticks as that set changes, all unregistered at detach and
 * exit.
 *
 * <p>Made only once {@link PortLedgerMBean} is registered, on the ledger thread, so it adds nothing
 * of JMX on the way to {@code main}. A tick at exit updates the beans it has but registers none. A
 * registration that fails is logged once (the first); the agent runs on without that bean and tries
 * again when the destination is next shown.
 */
final class DestinationMBeans {
  static final String PREFIX = PortLedgerMBean.NAME + ",destination=";

  private final Map<String, Registered> beans = new LinkedHashMap<String, Registered>();
  private final MBeanServer server;
  private boolean failureLogged;
  private boolean closed;

  DestinationMBeans(MBeanServer server) {
    this.server = server;
  }

  /** {@code io.fourtuple:type=PortLedger,destination="10.0.0.7:443"}. */
  static ObjectName name(String destination) throws Exception {
    return new ObjectName(PREFIX + ObjectName.quote(destination));
  }

  /**
   * Shows {@code series} (the tick's, {@link DestinationSeries#OTHER} left out: it is no
   * destination), registering new destinations when {@code register} and unregistering those no
   * longer shown.
   */
  synchronized void update(List<DestinationSeries> series, boolean register, Logger log) {
    if (closed) {
      return;
    }
    Set<String> shown = new HashSet<String>(series.size() * 2);
    for (DestinationSeries s : series) {
      if (s.isOther()) {
        continue;
      }
      shown.add(s.label);
      Registered r = beans.get(s.label);
      if (r != null) {
        r.bean.update(s);
      } else if (register) {
        try {
          ObjectName name = name(s.label);
          DestinationMBean bean = new DestinationMBean(s);
          server.registerMBean(bean, name);
          beans.put(s.label, new Registered(name, bean));
        } catch (Throwable t) {
          if (!failureLogged) {
            failureLogged = true;
            log.info(
                "port ledger MBean for {} not registered (logged once): {}", s.label, t.toString());
          }
        }
      }
    }
    for (Iterator<Map.Entry<String, Registered>> i = beans.entrySet().iterator(); i.hasNext(); ) {
      Map.Entry<String, Registered> e = i.next();
      if (!shown.contains(e.getKey())) {
        unregister(e.getValue().name);
        i.remove();
      }
    }
  }

  /** Unregisters every bean this instance registered, for good (detach, exit); never throws. */
  synchronized void close() {
    closed = true;
    for (Registered r : beans.values()) {
      unregister(r.name);
    }
    beans.clear();
  }

  /** The destinations registered now, in the order they were first shown. */
  synchronized Set<String> registered() {
    return new LinkedHashSet<String>(beans.keySet());
  }

  private void unregister(ObjectName name) {
    try {
      server.unregisterMBean(name);
    } catch (Throwable ignored) {
      // Unregistered by someone else already, or the server is gone: nothing is left behind.
    }
  }

  private static final class Registered {
    final ObjectName name;
    final DestinationMBean bean;

    Registered(ObjectName name, DestinationMBean bean) {
      this.name = name;
      this.bean = bean;
    }
  }
}
