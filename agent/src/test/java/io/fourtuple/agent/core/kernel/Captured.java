package io.fourtuple.agent.core.kernel;

/**
 * Kernel socket tables captured on Linux 6.18 in a fresh network namespace: a listener on
 * 127.0.0.1:8080 with one connection open and one closed (TIME_WAIT), a dual-stack listener on
 * [::]:9090 with one IPv6 connection from ::1 and one from ::ffff:127.0.0.1. Trailing padding as
 * the kernel prints it. Owned inodes are those of the capturing process.
 */
final class Captured {
  private Captured() {}

  static final String TCP =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
          + " inode                                                     \n"
          + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0     "
          + "   0 38412899 1 00000000bc00fe77 100 0 0 10 0                  \n"
          + "   1: 0100007F:C1C6 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0     "
          + "   0 38413129 2 00000000db2db6fb 20 0 0 10 -1                  \n"
          + "   2: 0100007F:C1D0 0100007F:1F90 06 00000000:00000000 03:0000175C 00000000     0     "
          + "   0 0 3 00000000bb1a3e5d                                      \n"
          + "   3: 0100007F:1F90 0100007F:C1C6 01 00000000:00000000 00:00000000 00000000     0     "
          + "   0 38413130 1 0000000090074c65 20 0 0 10 -1                  \n";

  static final String TCP6 =
      "  sl  local_address                         remote_address                        st"
          + " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          + "   0: 00000000000000000000000000000000:2382 00000000000000000000000000000000:0000 0A"
          + " 00000000:00000000 00:00000000 00000000     0        0 38412900 1 00000000f2e2402b 100"
          + " 0 0 10 0\n"
          + "   1: 0000000000000000FFFF00000100007F:82A4 0000000000000000FFFF00000100007F:2382 01"
          + " 00000000:00000000 00:00000000 00000000     0        0 38413135 2 000000001a70fbb9 20"
          + " 0 0 10 -1\n"
          + "   2: 0000000000000000FFFF00000100007F:2382 0000000000000000FFFF00000100007F:82A4 01"
          + " 00000000:00000000 00:00000000 00000000     0        0 38413136 1 00000000edf37088 20"
          + " 0 0 10 -1\n"
          + "   3: 00000000000000000000000001000000:2382 00000000000000000000000001000000:92C2 01"
          + " 00000000:00000000 00:00000000 00000000     0        0 38413134 1 00000000d888a74d 20"
          + " 0 0 10 -1\n"
          + "   4: 00000000000000000000000001000000:92C2 00000000000000000000000001000000:2382 01"
          + " 00000000:00000000 00:00000000 00000000     0        0 38413133 2 00000000a2f99e6b 20"
          + " 0 0 10 -1\n";

  /** The capturing process's socket inodes (from its /proc/self/fd). */
  static final long[] OWN = {
    38412899L, 38412900L, 38413129L, 38413130L, 38413133L, 38413134L, 38413135L, 38413136L
  };
}
