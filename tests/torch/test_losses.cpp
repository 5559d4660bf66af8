// The losses against hand-computed values, NaN masking and the log-variance clamp.
#include <cmath>
#include <limits>
#include <numbers>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "losses.hpp"

namespace lensforge::train::torch_impl {
namespace {

const double kHalfLog2Pi = 0.5 * std::log(2.0 * std::numbers::pi);
const float kNaN = std::numeric_limits<float>::quiet_NaN();

torch::Tensor t2(std::vector<float> v, std::int64_t rows, std::int64_t cols) {
  return torch::tensor(v).view({rows, cols});
}

TEST(Losses, GaussianNllEqualsTheFormulaOnHandValues) {
  // Entries (mu, log s^2, y): (0, 0, 1) -> 0.5 * (0 + 1) = 0.5; (1, log 4, 3) -> 0.5 * (log 4 + 4/4)
  // = 1.19315; (-2, -1, -2) -> 0.5 * (-1 + 0) = -0.5; each + 0.5 log 2 pi; mean of the three.
  const torch::Tensor mu = t2({0, 1, -2}, 3, 1), lv = t2({0, float(std::log(4.0)), -1}, 3, 1),
                      y = t2({1, 3, -2}, 3, 1);
  const torch::Tensor all = torch::ones({3, 1}, torch::kBool);
  const double expected = (0.5 + 0.5 * (std::log(4.0) + 1.0) - 0.5) / 3.0 + kHalfLog2Pi;
  EXPECT_NEAR(gaussian_nll(mu, lv, y, all).item<double>(), expected, 1e-6);  // float32 rounding of ~1
}

TEST(Losses, GaussianNllMasksNanTargetsAndTheirGradients) {
  torch::Tensor mu = t2({0, 5, 1, 2}, 2, 2).requires_grad_(true);
  torch::Tensor lv = torch::zeros({2, 2}).requires_grad_(true);
  const torch::Tensor y = t2({1, kNaN, 3, kNaN}, 2, 2);
  const torch::Tensor labels = torch::tensor({1.f, 1.f});
  const torch::Tensor mask = regression_mask(y, labels, false);
  EXPECT_EQ(mask.sum().item<int>(), 2);
  const torch::Tensor loss = gaussian_nll(mu, lv, y, mask);
  // Counted: (0, 0, 1) -> 0.5 and (1, 0, 3) -> 2; mean 1.25.
  EXPECT_NEAR(loss.item<double>(), 1.25 + kHalfLog2Pi, 1e-6);
  loss.backward();
  EXPECT_TRUE(torch::isfinite(mu.grad()).all().item<bool>());
  EXPECT_EQ(mu.grad()[0][1].item<float>(), 0.f);  // masked entries get no gradient
  EXPECT_EQ(lv.grad()[1][1].item<float>(), 0.f);
  // d/dmu of the mean over 2 entries: (mu - y) / 2 = -0.5 and -1.
  EXPECT_NEAR(mu.grad()[0][0].item<double>(), -0.5, 1e-6);
  EXPECT_NEAR(mu.grad()[1][0].item<double>(), -1.0, 1e-6);
}

TEST(Losses, RegressionOfPositivesOnlyAndNothingToCount) {
  const torch::Tensor y = t2({1, 2, 3}, 3, 1), labels = torch::tensor({1.f, 0.f, 1.f});
  EXPECT_EQ(regression_mask(y, labels, true).sum().item<int>(), 2);
  EXPECT_EQ(regression_mask(y, labels, false).sum().item<int>(), 3);
  const torch::Tensor none = torch::zeros({3, 1}, torch::kBool);
  EXPECT_EQ(gaussian_nll(y, torch::zeros({3, 1}), y, none).item<double>(), 0.0);
}

TEST(Losses, LogVarianceIsClamped) {
  // log s^2 = -50 would give 0.5 * (-50 + e^50); clamped at -10: 0.5 * (-10 + 1 * e^10).
  const torch::Tensor mu = t2({0}, 1, 1), y = t2({1}, 1, 1), lv = t2({-50}, 1, 1);
  const double expected = 0.5 * (kMinLogVar + std::exp(-kMinLogVar)) + kHalfLog2Pi;
  EXPECT_NEAR(gaussian_nll(mu, lv, y, torch::ones({1, 1}, torch::kBool)).item<double>(), expected, 1e-6 * expected);
  const torch::Tensor big = t2({50}, 1, 1);
  EXPECT_NEAR(gaussian_nll(mu, big, y, torch::ones({1, 1}, torch::kBool)).item<double>(),
              0.5 * (kMaxLogVar + std::exp(-kMaxLogVar)) + kHalfLog2Pi, 1e-5);
}

TEST(Losses, BceWithPositiveWeight) {
  // logit 0: -log(sigmoid(0)) = log 2 for a positive (times w = 3), log 2 for a negative.
  const torch::Tensor logit = torch::tensor({0.f, 0.f, 2.f}), label = torch::tensor({1.f, 0.f, 0.f});
  const double expected = (3 * std::log(2.0) + std::log(2.0) + std::log1p(std::exp(2.0))) / 3.0;
  EXPECT_NEAR(bce_loss(logit, label, 3.0).item<double>(), expected, 1e-6);
}

TEST(Losses, TotalIsTheSumOfTheTaskTerms) {
  ModelOutput out;
  out.logit = torch::tensor({0.f, 0.f});
  out.mean = t2({0, 0}, 2, 1);
  out.log_var = t2({0, 0}, 2, 1);
  const torch::Tensor labels = torch::tensor({1.f, 0.f}), targets = t2({1, kNaN}, 2, 1);
  TaskSpec task;
  task.regress_positives_only = true;
  const LossTerms terms = compute_loss(out, labels, targets, task);
  EXPECT_EQ(terms.regression_count, 1);
  EXPECT_NEAR(terms.classification.item<double>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(terms.regression.item<double>(), 0.5 + kHalfLog2Pi, 1e-6);
  EXPECT_NEAR(terms.total.item<double>(), std::log(2.0) + 0.5 + kHalfLog2Pi, 1e-6);
}

}  // namespace
}  // namespace lensforge::train::torch_impl
