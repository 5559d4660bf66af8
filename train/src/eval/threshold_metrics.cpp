#include "lensforge/train/eval/threshold_metrics.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/binary_labels.hpp"

namespace lensforge::eval {

ThresholdMetrics threshold_metrics(std::span<const double> scores, std::span<const int> labels, double threshold) {
  check_scores_and_labels(scores, labels, "threshold_metrics");
  if (std::isnan(threshold)) throw ConfigError("threshold_metrics: threshold is NaN");
  ThresholdMetrics m;
  m.threshold = threshold;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool called = scores[i] >= threshold;
    if (labels[i] == 1)
      (called ? m.true_positives : m.false_negatives) += 1;
    else
      (called ? m.false_positives : m.true_negatives) += 1;
  }
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return b > 0 ? double(a) / double(b) : std::numeric_limits<double>::quiet_NaN();
  };
  const std::int64_t n = std::int64_t(scores.size());
  m.accuracy = ratio(m.true_positives + m.true_negatives, n);
  m.precision = ratio(m.true_positives, m.true_positives + m.false_positives);
  m.recall = ratio(m.true_positives, m.true_positives + m.false_negatives);
  m.false_positive_rate = ratio(m.false_positives, m.false_positives + m.true_negatives);
  m.f1 = ratio(2 * m.true_positives, 2 * m.true_positives + m.false_positives + m.false_negatives);
  return m;
}

}  // namespace lensforge::eval
