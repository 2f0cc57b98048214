package io.fourtuple.agent.core.kernel;

/**
 * A small open-addressing set of non-negative ints (ports), growing as needed. Not thread-safe; 4
 * bytes per slot, so a few dozen bytes for the handful of ports a destination usually has.
 */
public final class IntSet {
  private static final int EMPTY = -1;
  private int[] table;
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

  private static int[] newTable(int n) {
    int[] t = new int[n];
    java.util.Arrays.fill(t, EMPTY);
    return t;
  }

  /** Adds {@code value} (>= 0); returns true if it was not there. */
  public boolean add(int value) {
    if ((size + 1) * 4 > table.length * 3) {
      int[] old = table;
      table = newTable(old.length * 2);
      size = 0;
      for (int v : old) {
        if (v != EMPTY) {
          insert(v);
        }
      }
    }
    return insert(value);
  }

  private boolean insert(int value) {
    int mask = table.length - 1;
    int i = (value * 0x9E3779B9) >>> 7 & mask;
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

  public boolean contains(int value) {
    int mask = table.length - 1;
    int i = (value * 0x9E3779B9) >>> 7 & mask;
    while (table[i] != EMPTY) {
      if (table[i] == value) {
        return true;
      }
      i = (i + 1) & mask;
    }
    return false;
  }

  public int size() {
    return size;
  }
}
