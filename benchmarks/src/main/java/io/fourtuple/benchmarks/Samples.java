package io.fourtuple.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics over a handful of measurements (nearest-rank percentiles, no interpolation). */
final class Samples {
  private final List<Double> values = new ArrayList<Double>();

  void add(double value) {
    values.add(value);
  }

  int size() {
    return values.size();
  }

  double median() {
    List<Double> s = sorted();
    int n = s.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  double percentile(double p) {
    List<Double> s = sorted();
    if (s.isEmpty()) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * s.size());
    return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
  }

  double min() {
    return sorted().get(0);
  }

  double max() {
    List<Double> s = sorted();
    return s.get(s.size() - 1);
  }

  private List<Double> sorted() {
    List<Double> s = new ArrayList<Double>(values);
    Collections.sort(s);
    return s;
  }
}
