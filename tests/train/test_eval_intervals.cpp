// Normal quantiles, Wilson intervals, bootstrap intervals and completeness per subtype / in bins.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/eval/bootstrap.hpp"
#include "lensforge/train/eval/completeness.hpp"
#include "lensforge/train/eval/confidence_interval.hpp"
#include "lensforge/train/eval/roc_curve.hpp"

using namespace lensforge;
using namespace lensforge::eval;

TEST(EvalIntervals, NormalQuantileMatchesReferenceValues) {
  // Reference values: scipy.stats.norm.ppf.
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.8413447460685429), 1.0, 1e-13);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-11);
  EXPECT_NEAR(normal_quantile(1.0 - 1e-6), 4.753424308822899, 1e-9);
  EXPECT_THROW(normal_quantile(0.0), ConfigError);
  EXPECT_THROW(normal_quantile(1.0), ConfigError);
}

TEST(EvalIntervals, WilsonIntervalReferenceValues) {
  // 5 of 10 at 95%: centre 0.5, half-width z / (n + z^2) sqrt(n/4 + z^2/4) = 0.26340.
  const ConfidenceInterval a = wilson_interval(5, 10, 0.95);
  EXPECT_DOUBLE_EQ(a.value, 0.5);
  EXPECT_NEAR(a.lower, 0.2365931, 1e-6);
  EXPECT_NEAR(a.upper, 0.7634069, 1e-6);
  // 0 of 10: [0, z^2 / (n + z^2)] = [0, 0.27753], not the empty interval of the normal approximation.
  const ConfidenceInterval b = wilson_interval(0, 10, 0.95);
  EXPECT_EQ(b.lower, 0.0);
  EXPECT_NEAR(b.upper, 3.841458820694124 / 13.841458820694124, 1e-12);
  const ConfidenceInterval c = wilson_interval(10, 10, 0.95);
  EXPECT_EQ(c.upper, 1.0);
  EXPECT_NEAR(c.lower, 10.0 / 13.841458820694124, 1e-12);
  EXPECT_TRUE(std::isnan(wilson_interval(0, 0).value));
  EXPECT_THROW(wilson_interval(3, 2), ConfigError);
  EXPECT_THROW(wilson_interval(1, 2, 1.0), ConfigError);
}

TEST(EvalIntervals, BootstrapOfAMeanMatchesTheStandardError) {
  // Mean of n = 400 standard normals: the 95% interval has half-width ~1.96 / sqrt(400) = 0.098.
  // With 2000 resamples the 2.5/97.5% quantiles scatter by ~4% (and the sample sd by 3.5%), so 15%.
  Rng rng(3, 0);
  std::vector<double> x(400);
  for (double& v : x) v = rng.normal();
  BootstrapOptions o;
  o.resamples = 2000;
  auto mean = [&](std::span<const std::int64_t> idx) {
    double s = 0.0;
    for (const auto i : idx) s += x[std::size_t(i)];
    return s / double(idx.size());
  };
  const BootstrapInterval ci = bootstrap_interval(400, mean, o);
  EXPECT_DOUBLE_EQ(ci.value, std::accumulate(x.begin(), x.end(), 0.0) / 400.0);
  EXPECT_EQ(ci.valid_resamples, 2000);
  EXPECT_LT(ci.lower, ci.value);
  EXPECT_GT(ci.upper, ci.value);
  EXPECT_NEAR(0.5 * (ci.upper - ci.lower), 1.96 / 20.0, 0.15 * 1.96 / 20.0);
  // Same seed, same interval; another seed, another.
  const BootstrapInterval again = bootstrap_interval(400, mean, o);
  EXPECT_EQ(again.lower, ci.lower);
  o.seed = 1;
  EXPECT_NE(bootstrap_interval(400, mean, o).lower, ci.lower);
}

TEST(EvalIntervals, StratifiedBootstrapKeepsClassCountsAndContainsTheFullSetValue) {
  Rng rng(5, 0);
  std::vector<double> s;
  std::vector<int> y;
  for (int i = 0; i < 500; ++i) {
    y.push_back(i % 5 == 0);  // 100 positives
    s.push_back(rng.normal() + 1.5 * y.back());
  }
  BootstrapOptions o;
  o.resamples = 500;
  bool class_counts_kept = true;
  const auto cis = bootstrap_intervals(
      500, 3,
      [&](std::span<const std::int64_t> idx) {
        const auto ys = gather<int>(y, idx);
        const auto ss = gather<double>(s, idx);
        class_counts_kept &= std::accumulate(ys.begin(), ys.end(), 0) == 100;
        const RocCurve roc = roc_curve(ss, ys);
        return std::vector<double>{auroc(roc), tpr_before_false_positives(roc, 1).tpr,
                                   tpr_before_false_positives(roc, 10).tpr};
      },
      o, y);
  EXPECT_TRUE(class_counts_kept);
  for (const auto& ci : cis) {
    EXPECT_LE(ci.lower, ci.value);
    EXPECT_GE(ci.upper, ci.value);
    EXPECT_LT(ci.lower, ci.upper);
  }
  // AUROC of unit Gaussians 1.5 apart: Phi(1.5 / sqrt 2) = 0.856; its standard error for 100/400 is ~0.02.
  EXPECT_NEAR(cis[0].value, 0.856, 0.06);
}

TEST(EvalIntervals, BootstrapLeavesOutUndefinedResamples) {
  // Two examples, one positive: unstratified resamples without both classes give NaN AUROC.
  const std::vector<double> s = {0.2, 0.8};
  const std::vector<int> y = {0, 1};
  BootstrapOptions o;
  o.resamples = 200;
  const BootstrapInterval ci = bootstrap_interval(
      2, [&](std::span<const std::int64_t> idx) { return auroc(gather<double>(s, idx), gather<int>(y, idx)); }, o);
  EXPECT_EQ(ci.value, 1.0);
  // Half the resamples hold both classes: 100 expected, binomial sd 7; 5 sd.
  EXPECT_NEAR(ci.valid_resamples, 100, 35);
  EXPECT_EQ(ci.lower, 1.0);
  o.resamples = 0;
  EXPECT_THROW(bootstrap_interval(2, [](auto) { return 0.0; }, o), ConfigError);
}

TEST(EvalCompleteness, PerSubtypeAndBinned) {
  const std::vector<double> s = {0.9, 0.4, 0.7, 0.2, 0.6, 0.95, 0.1, 0.55};
  const std::vector<int> y = {1, 1, 1, 1, 0, 0, 0, 1};
  const std::vector<std::string> sub = {"lens", "lens", "compound_arc", "lens", "spiral", "spiral", "ring_galaxy",
                                        "compound_arc"};
  const auto by = completeness_by_subtype(s, y, sub, 0.5);
  ASSERT_EQ(by.size(), 4u);
  EXPECT_EQ(by[0].name, "compound_arc");  // positives first, by name
  EXPECT_EQ(by[0].count, 2);
  EXPECT_EQ(by[0].selected, 2);
  EXPECT_EQ(by[1].name, "lens");
  EXPECT_EQ(by[1].selected, 1);
  EXPECT_DOUBLE_EQ(by[1].fraction.value, 1.0 / 3.0);
  EXPECT_NEAR(by[1].fraction.lower, wilson_interval(1, 3).lower, 0.0);
  EXPECT_EQ(by[2].name, "ring_galaxy");
  EXPECT_EQ(by[2].label, 0);
  EXPECT_EQ(by[2].selected, 0);
  EXPECT_EQ(by[3].name, "spiral");
  EXPECT_DOUBLE_EQ(by[3].fraction.value, 1.0);  // both spirals called lenses: its false-positive rate

  // theta_E of the positives 0.5, 1.0, 1.5, 2.0, 2.0 (NaN for negatives); bins [0.5, 1.25), [1.25, 2].
  const double nan = std::nan("");
  const std::vector<double> theta = {0.5, 1.0, 1.5, 2.0, nan, nan, nan, 2.0};
  const std::vector<double> edges = {0.5, 1.25, 2.0};
  const auto bins = completeness_binned(s, y, theta, edges, 0.5);
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[0].count, 2);     // 0.5 (.9 called), 1.0 (.4 missed)
  EXPECT_EQ(bins[0].selected, 1);
  EXPECT_DOUBLE_EQ(bins[0].centre, 0.75);
  EXPECT_EQ(bins[1].count, 3);     // 1.5 (.7), 2.0 (.2), 2.0 (.55): the last edge is inside
  EXPECT_EQ(bins[1].selected, 2);
  EXPECT_THROW(completeness_binned(s, y, theta, std::vector<double>{1.0, 1.0}, 0.5), ConfigError);

  EXPECT_EQ(quantile_edges(std::vector<double>{1, 2, 3, 4, 5, nan}, 2), (std::vector<double>{1, 3, 5}));
  EXPECT_EQ(quantile_edges(std::vector<double>{1, 1, 1, 1, 5}, 4), (std::vector<double>{1, 5}));  // repeated edges merged
  EXPECT_TRUE(quantile_edges(std::vector<double>{2, 2}, 3).empty());
}
