#pragma once
// Confusion counts and the rates derived from them at one threshold (score >= threshold: called
// positive). Conventions: binary_labels.hpp. Undefined ratios are NaN, as documented per field.
#include <cstdint>
#include <span>

namespace lensforge::eval {

struct ThresholdMetrics {
  double threshold = 0.5;
  std::int64_t true_positives = 0;
  std::int64_t false_positives = 0;
  std::int64_t true_negatives = 0;
  std::int64_t false_negatives = 0;
  double accuracy = 0.0;             ///< (TP + TN) / n; NaN when n = 0
  double precision = 0.0;            ///< TP / (TP + FP) (purity); NaN when nothing is called positive
  double recall = 0.0;               ///< TP / P (completeness, TPR); NaN when P = 0
  double false_positive_rate = 0.0;  ///< FP / N; NaN when N = 0
  /// 2 TP / (2 TP + FP + FN): the harmonic mean of precision and recall where both are defined,
  /// 0 when there are positives but none is found (also when nothing is called positive); NaN
  /// only when TP + FP + FN = 0 (no positives and none called).
  double f1 = 0.0;
};

/// Metrics at `threshold` (any real; ConfigError for NaN threshold or bad scores/labels).
ThresholdMetrics threshold_metrics(std::span<const double> scores, std::span<const int> labels,
                                   double threshold = 0.5);

}  // namespace lensforge::eval
