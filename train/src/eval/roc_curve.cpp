#include "lensforge/train/eval/roc_curve.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/binary_labels.hpp"

namespace lensforge::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

OperatingPoint point(const RocCurve& roc, std::size_t k) {
  return {roc.threshold[k], roc.true_positives[k], roc.false_positives[k], roc.tpr[k], roc.fpr[k]};
}

/// The last point (lowest threshold) with at most `max_fp` false positives; false_positives is
/// non-decreasing along the curve and 0 at its first point.
std::size_t last_point_with_at_most(const RocCurve& roc, std::int64_t max_fp) {
  const auto it = std::upper_bound(roc.false_positives.begin(), roc.false_positives.end(), max_fp);
  return std::size_t(it - roc.false_positives.begin()) - 1;
}

}  // namespace

RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels) {
  check_scores_and_labels(scores, labels, "roc_curve");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });

  RocCurve roc;
  roc.positives = count_positives(labels);
  roc.negatives = std::int64_t(labels.size()) - roc.positives;
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  roc.true_positives.push_back(0);
  roc.false_positives.push_back(0);
  std::int64_t tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size();) {
    const double s = scores[order[k]];
    for (; k < order.size() && scores[order[k]] == s; ++k) (labels[order[k]] == 1 ? tp : fp) += 1;
    roc.threshold.push_back(s);
    roc.true_positives.push_back(tp);
    roc.false_positives.push_back(fp);
  }
  const double p = double(roc.positives), n = double(roc.negatives);
  for (std::size_t k = 0; k < roc.threshold.size(); ++k) {
    roc.tpr.push_back(roc.positives > 0 ? double(roc.true_positives[k]) / p : kNaN);
    roc.fpr.push_back(roc.negatives > 0 ? double(roc.false_positives[k]) / n : kNaN);
  }
  return roc;
}

double auroc(const RocCurve& roc) {
  if (roc.positives == 0 || roc.negatives == 0) return kNaN;
  // Trapezoids in counts: a step adding dfp negatives and dtp positives contributes dfp * (tp
  // before + dtp / 2) pairs: negatives below all earlier positives and tied with the step's own.
  double pairs = 0.0;
  for (std::size_t k = 1; k < roc.threshold.size(); ++k) {
    const double dfp = double(roc.false_positives[k] - roc.false_positives[k - 1]);
    const double dtp = double(roc.true_positives[k] - roc.true_positives[k - 1]);
    pairs += dfp * (double(roc.true_positives[k - 1]) + 0.5 * dtp);
  }
  return pairs / (double(roc.positives) * double(roc.negatives));
}

double auroc(std::span<const double> scores, std::span<const int> labels) { return auroc(roc_curve(scores, labels)); }

OperatingPoint tpr_before_false_positives(const RocCurve& roc, std::int64_t k) {
  if (k < 1) throw ConfigError(fmt::format("tpr_before_false_positives: k = {}: must be >= 1", k));
  return point(roc, last_point_with_at_most(roc, k - 1));
}

OperatingPoint tpr_before_false_positives(std::span<const double> scores, std::span<const int> labels,
                                          std::int64_t k) {
  return tpr_before_false_positives(roc_curve(scores, labels), k);
}

OperatingPoint tpr_at_fpr(const RocCurve& roc, double max_fpr) {
  if (!(max_fpr >= 0.0 && max_fpr <= 1.0))
    throw ConfigError(fmt::format("tpr_at_fpr: max_fpr = {}: must be in [0, 1]", max_fpr));
  if (roc.negatives == 0) return {kNaN, 0, 0, kNaN, kNaN};
  const double allowed = max_fpr * double(roc.negatives) * (1.0 + 1e-12);
  return point(roc, last_point_with_at_most(roc, std::int64_t(std::floor(allowed))));
}

OperatingPoint tpr_at_fpr(std::span<const double> scores, std::span<const int> labels, double max_fpr) {
  return tpr_at_fpr(roc_curve(scores, labels), max_fpr);
}

}  // namespace lensforge::eval
