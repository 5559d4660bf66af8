// Regression metrics and the coverage of predicted Gaussian intervals.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/eval/interval_coverage.hpp"
#include "lensforge/train/eval/regression_metrics.hpp"

using namespace lensforge;
using namespace lensforge::eval;

TEST(EvalRegression, HandComputedMetrics) {
  const double nan = std::nan("");
  // Residuals 0.1, -0.1, 0.2, 0, 4 (the NaN rows are left out).
  const std::vector<double> t = {1, 2, 3, 4, 5, nan, 7};
  const std::vector<double> p = {1.1, 1.9, 3.2, 4.0, 9.0, 1.0, nan};
  const RegressionMetrics m = regression_metrics(t, p);
  EXPECT_EQ(m.count, 5);
  EXPECT_NEAR(m.bias, 0.84, 1e-12);
  EXPECT_NEAR(m.rms, std::sqrt(16.06 / 5.0), 1e-12);
  EXPECT_NEAR(m.median_residual, 0.1, 1e-12);
  // |residual - 0.1| = 0, 0.2, 0.1, 0.1, 3.9: median 0.1.
  EXPECT_NEAR(m.robust_scatter, 0.14826, 1e-12);
  EXPECT_NEAR(m.outlier_fraction, 0.2, 1e-12);  // only 4 > 3 * 0.148
  EXPECT_NEAR(m.r2, 1.0 - 16.06 / 10.0, 1e-12);
  // Relative residuals 0.1, -0.05, 0.0667, 0, 0.8: median 0.0667.
  EXPECT_NEAR(m.relative_median, 0.2 / 3.0, 1e-12);
  RegressionOptions o;
  o.outlier_relative = 0.09;  // 0.1 and 0.8 exceed it
  EXPECT_NEAR(regression_metrics(t, p, o).outlier_fraction, 0.4, 1e-12);
  o.outlier_relative = -1;
  EXPECT_THROW(regression_metrics(t, p, o), ConfigError);
  EXPECT_EQ(regression_metrics(std::vector<double>{nan}, std::vector<double>{1.0}).count, 0);
  EXPECT_TRUE(std::isnan(regression_metrics(std::vector<double>{2.0, 2.0}, std::vector<double>{1.0, 3.0}).r2));
  EXPECT_DOUBLE_EQ(median(std::vector<double>{4, 1, 3, 2}), 2.5);
}

TEST(EvalRegression, RobustScatterOfGaussianResiduals) {
  // 1.4826 MAD estimates sigma with a standard error of 1.17 sigma / sqrt(n) (0.8% at n = 20000):
  // 4% is 5 sd; the RMS has 1 / sqrt(2n) = 0.5%.
  Rng rng(23, 0);
  std::vector<double> t(20000), p(20000);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = rng.uniform(0.5, 2.5);
    p[i] = t[i] + 0.3 * rng.normal();
  }
  const RegressionMetrics m = regression_metrics(t, p);
  EXPECT_NEAR(m.robust_scatter, 0.3, 0.04 * 0.3);
  EXPECT_NEAR(m.rms, 0.3, 0.04 * 0.3);
  // 3-sigma outliers of a Gaussian: 0.27%, binomial sd 0.037%.
  EXPECT_NEAR(m.outlier_fraction, 0.0027, 0.0015);
}

TEST(EvalRegression, CoverageOfHonestAndMisstatedSigmas) {
  // Honest Gaussian sigmas cover 68.27% and 95%. Binomial sd at n = 10000 is sqrt(p (1 - p) / n)
  // = 0.47% (68%) and 0.22% (95%): tolerance 4 sd. Sigmas quoted half as large cover
  // erf(0.5 / sqrt 2) = 38.3% instead: far outside the tolerance, so the test discriminates.
  Rng rng(29, 0);
  const int n = 10000;
  std::vector<double> t(n), p(n), s(n), half(n);
  for (int i = 0; i < n; ++i) {
    t[std::size_t(i)] = rng.uniform(0.0, 3.0);
    s[std::size_t(i)] = rng.uniform(0.05, 0.5);
    p[std::size_t(i)] = t[std::size_t(i)] + s[std::size_t(i)] * rng.normal();
    half[std::size_t(i)] = 0.5 * s[std::size_t(i)];
  }
  const double sd68 = std::sqrt(kOneSigmaLevel * (1 - kOneSigmaLevel) / n), sd95 = std::sqrt(0.95 * 0.05 / n);
  const IntervalCoverage c68 = interval_coverage(t, p, s, kOneSigmaLevel);
  EXPECT_EQ(c68.count, n);
  EXPECT_NEAR(c68.z, 1.0, 1e-12);
  EXPECT_NEAR(c68.fraction.value, kOneSigmaLevel, 4 * sd68);
  EXPECT_LE(c68.fraction.lower, c68.fraction.value);
  const IntervalCoverage c95 = interval_coverage(t, p, s, 0.95);
  EXPECT_NEAR(c95.z, 1.959963984540054, 1e-12);
  EXPECT_NEAR(c95.fraction.value, 0.95, 4 * sd95);
  const IntervalCoverage bad = interval_coverage(t, p, half, kOneSigmaLevel);
  EXPECT_NEAR(bad.fraction.value, 0.3829, 4 * sd68);
  EXPECT_GT(std::abs(bad.fraction.value - kOneSigmaLevel), 20 * sd68);
  EXPECT_THROW(interval_coverage(t, p, std::vector<double>(3), 0.68), ConfigError);
  EXPECT_THROW(interval_coverage(t, p, s, 1.0), ConfigError);
}
