// ROC curve, AUROC, TPR0/TPR10, TPR at fixed FPR and threshold metrics against hand-computed cases
// (with ties, including a lens tied with the false positive that ends TPR0) and the one-class edge cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/eval/roc_curve.hpp"
#include "lensforge/train/eval/threshold_metrics.hpp"

using namespace lensforge;
using namespace lensforge::eval;

namespace {

// Sorted by score: P .95, P .90, N .80 (first FP) tied with P .80, P .60, N .50, N .40 tied with
// P .40, N .10. P = 5, N = 4. (Given in a shuffled order: the functions must sort.)
const std::vector<double> kScores = {0.40, 0.95, 0.10, 0.80, 0.60, 0.90, 0.50, 0.80, 0.40};
const std::vector<int> kLabels = {0, 1, 0, 1, 1, 1, 0, 0, 1};

}  // namespace

TEST(EvalRoc, CurveHasOneStepPerDistinctScore) {
  const RocCurve roc = roc_curve(kScores, kLabels);
  EXPECT_EQ(roc.positives, 5);
  EXPECT_EQ(roc.negatives, 4);
  EXPECT_EQ(roc.threshold, (std::vector<double>{std::numeric_limits<double>::infinity(), 0.95, 0.90, 0.80, 0.60, 0.50,
                                                0.40, 0.10}));
  EXPECT_EQ(roc.true_positives, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 4, 5, 5}));
  EXPECT_EQ(roc.false_positives, (std::vector<std::int64_t>{0, 0, 0, 1, 1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(roc.tpr[3], 0.6);
  EXPECT_DOUBLE_EQ(roc.fpr[3], 0.25);
  EXPECT_EQ(roc.tpr.back(), 1.0);
  EXPECT_EQ(roc.fpr.back(), 1.0);
}

TEST(EvalRoc, AurocCountsTiedPairsAsHalf) {
  // Per negative, positives above + 1/2 tied: .80: 2 + .5; .50: 4; .40: 4 + .5; .10: 5 -> 16 / 20.
  EXPECT_DOUBLE_EQ(auroc(kScores, kLabels), 0.8);
  // All tied: every pair half.
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0.3, 0.3, 0.3}, std::vector<int>{1, 0, 1}), 0.5);
  // Perfect and reversed ranking.
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0.9, 0.8, 0.1}, std::vector<int>{1, 1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0.1, 0.2, 0.9}, std::vector<int>{1, 1, 0}), 0.0);
}

TEST(EvalRoc, AurocEqualsMannWhitneyOnRandomTiedScores) {
  Rng rng(11, 0);
  std::vector<double> s;
  std::vector<int> y;
  for (int i = 0; i < 300; ++i) {
    y.push_back(rng.uniform() < 0.4);
    s.push_back(std::round((rng.normal() + y.back()) * 4.0) / 4.0);  // coarse: many ties
  }
  double pairs = 0.0, np = 0.0, nn = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    (y[i] ? np : nn) += 1;
    if (!y[i]) continue;
    for (std::size_t j = 0; j < s.size(); ++j)
      if (!y[j]) pairs += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
  }
  EXPECT_NEAR(auroc(s, y), pairs / (np * nn), 1e-14);
}

TEST(EvalRoc, Tpr0StopsBeforeTheFirstFalsePositiveAndItsTiedLens) {
  // FP-free: .95 and .90; the lens at .80 is tied with the first false positive: not counted.
  const OperatingPoint t0 = tpr_before_false_positives(kScores, kLabels, 1);
  EXPECT_DOUBLE_EQ(t0.tpr, 0.4);
  EXPECT_EQ(t0.threshold, 0.90);
  EXPECT_EQ(t0.false_positives, 0);
  // Fewer than 2 false positives: down to .60 (4 lenses, 1 FP).
  const OperatingPoint t2 = tpr_before_false_positives(kScores, kLabels, 2);
  EXPECT_DOUBLE_EQ(t2.tpr, 0.8);
  EXPECT_EQ(t2.threshold, 0.60);
  EXPECT_EQ(t2.false_positives, 1);
  // Only 4 negatives: fewer than 10 false positives holds everywhere.
  const OperatingPoint t10 = tpr_before_false_positives(kScores, kLabels, 10);
  EXPECT_EQ(t10.tpr, 1.0);
  EXPECT_EQ(t10.threshold, 0.10);
  // A negative on top: no threshold is free of false positives.
  const OperatingPoint none = tpr_before_false_positives(std::vector<double>{0.9, 0.8}, std::vector<int>{0, 1}, 1);
  EXPECT_EQ(none.tpr, 0.0);
  EXPECT_TRUE(std::isinf(none.threshold));
  EXPECT_THROW(tpr_before_false_positives(kScores, kLabels, 0), ConfigError);
}

TEST(EvalRoc, Tpr10StopsBeforeTheTenthFalsePositive) {
  // Negatives at .99, .98, ..., .80 (20); lenses at .985, .905 (after the 9th FP, .91), .90 (tied
  // with the 10th FP) and .50. TPR10 counts .985 and .905 only.
  std::vector<double> s;
  std::vector<int> y;
  for (int k = 0; k < 20; ++k) {
    s.push_back(0.99 - 0.01 * k);
    y.push_back(0);
  }
  for (const double v : {0.985, 0.905, s[9], 0.5}) {
    s.push_back(v);
    y.push_back(1);
  }
  const OperatingPoint t10 = tpr_before_false_positives(s, y, 10);
  EXPECT_DOUBLE_EQ(t10.tpr, 0.5);
  EXPECT_EQ(t10.threshold, 0.905);
  EXPECT_EQ(t10.false_positives, 9);
  EXPECT_DOUBLE_EQ(tpr_before_false_positives(s, y, 1).tpr, 0.0);  // .99 is a negative
}

TEST(EvalRoc, TprAtFixedFpr) {
  // N = 4: FPR <= 0.25 allows 1 FP (down to .60), 0.5 allows 2 (down to .50), 0 allows none.
  const OperatingPoint a = tpr_at_fpr(kScores, kLabels, 0.25);
  EXPECT_DOUBLE_EQ(a.tpr, 0.8);
  EXPECT_EQ(a.threshold, 0.60);
  EXPECT_DOUBLE_EQ(a.fpr, 0.25);
  const OperatingPoint b = tpr_at_fpr(kScores, kLabels, 0.5);
  EXPECT_EQ(b.threshold, 0.50);
  EXPECT_DOUBLE_EQ(b.tpr, 0.8);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(kScores, kLabels, 0.0).tpr, 0.4);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(kScores, kLabels, 0.2499).tpr, 0.4);
  // 0.001 * 1000 negatives: exactly one false positive allowed despite rounding of 0.001.
  std::vector<double> s(1002);
  std::vector<int> y(1002, 0);
  for (std::size_t i = 0; i < 1000; ++i) s[i] = double(i) / 1000.0;  // negatives in [0, 1)
  s[1000] = 0.9985;  // lens between the top two negatives
  y[1000] = 1;
  s[1001] = 2.0;  // lens above everything
  y[1001] = 1;
  const OperatingPoint c = tpr_at_fpr(s, y, 0.001);
  EXPECT_EQ(c.false_positives, 1);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
  EXPECT_THROW(tpr_at_fpr(kScores, kLabels, 1.5), ConfigError);
}

TEST(EvalRoc, OneClassEdgeCases) {
  const std::vector<double> s = {0.2, 0.7, 0.9};
  const std::vector<int> pos = {1, 1, 1}, neg = {0, 0, 0};
  EXPECT_TRUE(std::isnan(auroc(s, pos)));
  EXPECT_TRUE(std::isnan(auroc(s, neg)));
  // No negatives: no threshold makes a false positive, so TPR_k = 1; FPR is undefined.
  EXPECT_EQ(tpr_before_false_positives(s, pos, 1).tpr, 1.0);
  EXPECT_TRUE(std::isnan(tpr_at_fpr(s, pos, 0.01).tpr));
  EXPECT_TRUE(std::isnan(roc_curve(s, pos).fpr[1]));
  // No positives: every TPR is undefined.
  EXPECT_TRUE(std::isnan(tpr_before_false_positives(s, neg, 1).tpr));
  EXPECT_TRUE(std::isnan(tpr_at_fpr(s, neg, 0.5).tpr));
  EXPECT_DOUBLE_EQ(tpr_at_fpr(s, neg, 0.5).fpr, 1.0 / 3.0);
  // Empty input: a curve with the (0, 0) point only.
  const RocCurve empty = roc_curve(std::vector<double>{}, std::vector<int>{});
  EXPECT_EQ(empty.threshold.size(), 1u);
  EXPECT_TRUE(std::isnan(auroc(empty)));
}

TEST(EvalRoc, RejectsBadInput) {
  EXPECT_THROW(roc_curve(std::vector<double>{0.1, std::nan("")}, std::vector<int>{0, 1}), ConfigError);
  EXPECT_THROW(roc_curve(std::vector<double>{0.1, 0.2}, std::vector<int>{0, 2}), ConfigError);
  EXPECT_THROW(roc_curve(std::vector<double>{0.1}, std::vector<int>{0, 1}), ConfigError);
}

TEST(EvalThresholdMetrics, HandComputedAtOneHalf) {
  // Called (>= .5): P .95 .90 .80 .60, N .80 .50 -> TP 4, FP 2; TN 2 (.40, .10), FN 1 (.40).
  const ThresholdMetrics m = threshold_metrics(kScores, kLabels, 0.5);
  EXPECT_EQ(m.true_positives, 4);
  EXPECT_EQ(m.false_positives, 2);
  EXPECT_EQ(m.true_negatives, 2);
  EXPECT_EQ(m.false_negatives, 1);
  EXPECT_DOUBLE_EQ(m.accuracy, 6.0 / 9.0);
  EXPECT_DOUBLE_EQ(m.precision, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.8);
  EXPECT_DOUBLE_EQ(m.false_positive_rate, 0.5);
  EXPECT_DOUBLE_EQ(m.f1, 2.0 * (4.0 / 6.0) * 0.8 / (4.0 / 6.0 + 0.8));  // harmonic mean = 8 / 11
  // A score equal to the threshold is called positive.
  EXPECT_EQ(threshold_metrics(kScores, kLabels, 0.95).true_positives, 1);
}

TEST(EvalThresholdMetrics, OneClassEdgeCases) {
  const std::vector<double> s = {0.2, 0.7, 0.9};
  const ThresholdMetrics pos = threshold_metrics(s, std::vector<int>{1, 1, 1}, 0.5);
  EXPECT_DOUBLE_EQ(pos.precision, 1.0);
  EXPECT_DOUBLE_EQ(pos.recall, 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(pos.false_positive_rate));
  EXPECT_DOUBLE_EQ(pos.f1, 0.8);
  const ThresholdMetrics neg = threshold_metrics(s, std::vector<int>{0, 0, 0}, 0.5);
  EXPECT_TRUE(std::isnan(neg.recall));
  EXPECT_DOUBLE_EQ(neg.precision, 0.0);
  EXPECT_DOUBLE_EQ(neg.f1, 0.0);  // 2 false positives, no true one
  EXPECT_DOUBLE_EQ(neg.accuracy, 1.0 / 3.0);
  const ThresholdMetrics quiet = threshold_metrics(s, std::vector<int>{0, 0, 0}, 0.95);
  EXPECT_TRUE(std::isnan(quiet.precision));  // nothing called positive
  EXPECT_TRUE(std::isnan(quiet.f1));          // TP + FP + FN = 0
  EXPECT_DOUBLE_EQ(quiet.accuracy, 1.0);
  const ThresholdMetrics missed = threshold_metrics(s, std::vector<int>{1, 1, 1}, 0.95);
  EXPECT_TRUE(std::isnan(missed.precision));
  EXPECT_DOUBLE_EQ(missed.recall, 0.0);
  EXPECT_DOUBLE_EQ(missed.f1, 0.0);
  EXPECT_THROW(threshold_metrics(s, std::vector<int>{1, 1, 1}, std::nan("")), ConfigError);
}
