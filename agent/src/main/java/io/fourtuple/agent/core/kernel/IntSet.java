package io.fourtuple.agent.core.kernel;

import java.util.Arrays;

/**
 * A small open-addressing set of non-negative integers (ports, socket inodes), growing as needed.
 * Not thread-safe; no allocation per lookup, so the table reader can test 100k rows against it.
 */
public final class IntSet {
  private static final long EMPTY = -1;
  private long[] table;
  private int size;

  public IntSet() {
    this(4);
  }

  public IntSet(int expected) {
    int n = 4;
    while (n * 3 < expected * 4) {
      n <<= 1;
    }
    table = newTable(n);
  }

  private static long[] newTable(int n) {
    long[] t = new long[n];
    Arrays.fill(t, EMPTY);
    return t;
  }

  /** Adds {@code value} (>= 0); returns true if it was not there. */
  public boolean add(long value) {
    if ((size + 1) * 4 > table.length * 3) {
      long[] old = table;
      table = newTable(old.length * 2);
      size = 0;
      for (long v : old) {
        if (v != EMPTY) {
          insert(v);
        }
      }
    }
    return insert(value);
  }

  private boolean insert(long value) {
    int mask = table.length - 1;
    int i = slot(value, mask);
    while (table[i] != EMPTY) {
      if (table[i] == value) {
        return false;
      }
      i = (i + 1) & mask;
    }
    table[i] = value;
    size++;
    return true;
  }

  public boolean contains(long value) {
    int mask = table.length - 1;
    for (int i = slot(value, mask); table[i] != EMPTY; i = (i + 1) & mask) {
      if (table[i] == value) {
        return true;
      }
    }
    return false;
  }

  public int size() {
    return size;
  }

  private static int slot(long value, int mask) {
    long h = value * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
