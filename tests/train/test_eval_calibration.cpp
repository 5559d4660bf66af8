// Reliability diagram, ECE and temperature scaling.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/eval/reliability_diagram.hpp"
#include "lensforge/train/eval/temperature_scaling.hpp"

using namespace lensforge;
using namespace lensforge::eval;

TEST(EvalCalibration, ReliabilityBinsAndEceByHand) {
  const std::vector<double> p = {0.05, 0.15, 0.15, 0.95, 1.0};
  const std::vector<int> y = {0, 1, 0, 1, 1};
  const auto bins = reliability_diagram(p, y, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].count, 1);
  EXPECT_EQ(bins[1].count, 2);
  EXPECT_DOUBLE_EQ(bins[1].mean_probability, 0.15);
  EXPECT_DOUBLE_EQ(bins[1].positive_fraction.value, 0.5);
  EXPECT_EQ(bins[9].count, 2);  // 1.0 falls into the last, closed bin
  EXPECT_TRUE(std::isnan(bins[5].mean_probability));
  // ECE = (1 * 0.05 + 2 * 0.35 + 2 * 0.025) / 5.
  EXPECT_NEAR(expected_calibration_error(bins), (0.05 + 0.7 + 0.05) / 5.0, 1e-15);
  EXPECT_THROW(reliability_diagram(std::vector<double>{1.2}, std::vector<int>{1}), ConfigError);
  EXPECT_THROW(reliability_diagram(p, y, 0), ConfigError);
  EXPECT_TRUE(std::isnan(expected_calibration_error(reliability_diagram(std::vector<double>{}, std::vector<int>{}))));
}

TEST(EvalCalibration, NllIsStableForLargeLogits) {
  const std::vector<double> z = {800.0, -800.0};
  // Correct and confident: ~0; wrong and confident: 800 nats.
  EXPECT_NEAR(binary_nll(z, std::vector<int>{1, 0}), 0.0, 1e-300);
  EXPECT_NEAR(binary_nll(z, std::vector<int>{0, 1}), 800.0, 1e-9);
  EXPECT_NEAR(binary_nll(std::vector<double>{0.0}, std::vector<int>{1}), std::log(2.0), 1e-15);
}

TEST(EvalCalibration, TemperatureScalingFixesAnOverconfidentModel) {
  // True logits z ~ N(0, 2^2), labels ~ Bernoulli(sigmoid(z)); the model reports 5 z. The fitted
  // T must come out near 5: with n = 20000 its statistical error is ~2% (Fisher information of
  // 1/T), so 10% is a > 4 sigma tolerance; the ECE must drop to below a third.
  Rng rng(17, 0);
  const int n = 20000;
  std::vector<double> logits(n);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) {
    const double z = 2.0 * rng.normal();
    y[std::size_t(i)] = rng.uniform() < 1.0 / (1.0 + std::exp(-z));
    logits[std::size_t(i)] = 5.0 * z;
  }
  const TemperatureFit fit = fit_temperature(logits, y);
  EXPECT_NEAR(fit.temperature, 5.0, 0.5);
  EXPECT_FALSE(fit.at_bound);
  EXPECT_LT(fit.nll_after, fit.nll_before);
  // The optimum: the NLL is higher a little to either side.
  EXPECT_LT(fit.nll_after, binary_nll(logits, y, fit.temperature * 1.01));
  EXPECT_LT(fit.nll_after, binary_nll(logits, y, fit.temperature / 1.01));

  const double ece_before = expected_calibration_error(reliability_diagram(calibrated_probabilities(logits, 1.0), y));
  const double ece_after =
      expected_calibration_error(reliability_diagram(calibrated_probabilities(logits, fit.temperature), y));
  EXPECT_GT(ece_before, 0.05);
  EXPECT_LT(ece_after, ece_before / 3.0);
}

TEST(EvalCalibration, TemperatureFitEdgeCases) {
  // Separable data: the NLL keeps falling as T -> 0, so the fit stops at the lower bound.
  const TemperatureFit sep = fit_temperature(std::vector<double>{-1.0, 1.0}, std::vector<int>{0, 1});
  EXPECT_TRUE(sep.at_bound);
  EXPECT_NEAR(sep.temperature, 1e-2, 1e-6);
  EXPECT_THROW(fit_temperature(std::vector<double>{1.0, 2.0}, std::vector<int>{1, 1}), ConfigError);
  EXPECT_THROW(fit_temperature(std::vector<double>{1.0, INFINITY}, std::vector<int>{0, 1}), ConfigError);
  EXPECT_THROW(fit_temperature(std::vector<double>{-1.0, 1.0}, std::vector<int>{0, 1}, 2.0, 1.0), ConfigError);
}
