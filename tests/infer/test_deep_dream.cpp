// Deep dream over a linear toy model, logit = sum(w * x): its gradient is w everywhere, so every
// step must move the logit the chosen way, and the loop's bookkeeping (jitter, blur, frames) can be
// checked exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "lensforge/infer/deep_dream.hpp"
#include "lensforge/sim/core/error.hpp"

using namespace lensforge;
using namespace lensforge::infer;

namespace {

struct LinearModel {
  train::InputShape shape;
  std::vector<float> w;
  explicit LinearModel(train::InputShape s) : shape(s), w(s.numel()) {
    // A smooth bump in the middle of channel 0, negative weights in channel 1.
    const std::int64_t plane = std::int64_t(s.height) * s.width;
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x) {
        const double r2 = std::pow(y - s.height / 2.0, 2) + std::pow(x - s.width / 2.0, 2);
        w[y * s.width + x] = float(std::exp(-r2 / 8.0));
        if (s.channels > 1) w[plane + y * s.width + x] = -0.5f;
      }
  }
  std::vector<float> score(const std::vector<float>& images, std::int64_t n) const {
    std::vector<float> s(n);
    for (std::int64_t b = 0; b < n; ++b)
      s[b] = float(std::inner_product(w.begin(), w.end(), images.begin() + b * shape.numel(), 0.0));
    return s;
  }
  std::vector<float> gradient(const std::vector<float>& images, std::int64_t n, std::vector<float>* logits) const {
    if (logits) *logits = score(images, n);
    std::vector<float> g;
    for (std::int64_t b = 0; b < n; ++b) g.insert(g.end(), w.begin(), w.end());
    return g;
  }
  GradientFn gradient_fn() const {
    return [this](const std::vector<float>& x, std::int64_t n, std::vector<float>* l) { return gradient(x, n, l); };
  }
  BatchScorer scorer() const {
    return [this](const std::vector<float>& x, std::int64_t n) { return score(x, n); };
  }
};

}  // namespace

TEST(DeepDream, LogitRisesEveryStepTowardsLensAndFallsTowardsNotLens) {
  const train::InputShape shape{2, 16, 16};
  const LinearModel model(shape);
  DreamOptions o;
  o.steps = 12;
  o.step_size = 0.05;
  o.jitter = 0;      // the gradient is the same everywhere: no jitter needed for monotonicity
  o.blur_sigma = 0;  // a blur would smooth w's bump and could lower sum(w x) slightly
  const std::vector<float> start = dream_noise(shape, 3);
  const DreamResult up = deep_dream(start, shape, model.gradient_fn(), model.scorer(), o);
  ASSERT_EQ(up.frames.size(), 13u);
  ASSERT_EQ(up.logits.size(), 13u);
  EXPECT_EQ(up.frames[0], start);
  EXPECT_EQ(up.logits[0], model.score(start, 1)[0]);
  for (int k = 1; k <= o.steps; ++k) EXPECT_GT(up.logits[k], up.logits[k - 1]) << k;
  o.target = DreamTarget::NOT_LENS;
  const DreamResult down = deep_dream(start, shape, model.gradient_fn(), model.scorer(), o);
  for (int k = 1; k <= o.steps; ++k) EXPECT_LT(down.logits[k], down.logits[k - 1]) << k;
  // Each step adds +-step_size * w / mean|w|, so the logit changes by step_size * sum(w^2) / mean|w|.
  double w2 = 0, wabs = 0;
  for (float v : model.w) w2 += double(v) * v, wabs += std::abs(v);
  const double per_step = o.step_size * w2 / (wabs / double(model.w.size()));
  EXPECT_NEAR(up.logits[o.steps] - up.logits[0], o.steps * per_step, 1e-4 * o.steps * per_step);
}

TEST(DeepDream, JitterAndBlurStillClimbAndDependOnlyOnTheSeed) {
  const train::InputShape shape{1, 20, 20};
  const LinearModel model(shape);
  DreamOptions o;
  o.steps = 20;
  o.step_size = 0.05;
  o.jitter = 3;
  o.blur_sigma = 0.7;
  o.seed = 11;
  const std::vector<float> start = dream_noise(shape, 1);
  const DreamResult a = deep_dream(start, shape, model.gradient_fn(), model.scorer(), o);
  const DreamResult b = deep_dream(start, shape, model.gradient_fn(), model.scorer(), o);
  EXPECT_EQ(a.frames, b.frames);
  double w2 = 0, wsum = 0, wabs = 0;
  for (float v : model.w) w2 += double(v) * v, wsum += v, wabs += std::abs(v);
  // The step is w rolled back by the jitter (a shift d of the bump keeps exp(-|d|^2 / 16) of
  // sum(w^2): at least 0.32 for |d| <= 3 sqrt 2), later blurred (sigma 0.7 px over 20 steps keeps
  // at least 8 / (8 + 9.8) = 0.45 of it): the logit must still rise by over 0.1 of the plain rate.
  const double plain = o.step_size * w2 / (wabs / double(model.w.size()));
  EXPECT_GT(a.logits.back() - a.logits.front(), 0.1 * o.steps * plain);
  // Roll and wrapping blur conserve each channel's sum: the image's sum grows by exactly
  // step_size * sum(w) / mean|w| per step (up to float rounding).
  const double start_sum = std::accumulate(start.begin(), start.end(), 0.0);
  const double end_sum = std::accumulate(a.frames.back().begin(), a.frames.back().end(), 0.0);
  const double expected = o.steps * o.step_size * wsum / (wabs / double(model.w.size()));
  EXPECT_NEAR(end_sum - start_sum, expected, 1e-4 * expected);
  o.seed = 12;
  EXPECT_NE(deep_dream(start, shape, model.gradient_fn(), model.scorer(), o).frames, a.frames);
}

TEST(DeepDream, NoiseIsUniformInTheUnitIntervalAndSeeded) {
  const train::InputShape shape{3, 10, 10};
  const std::vector<float> a = dream_noise(shape, 5);
  ASSERT_EQ(a.size(), 300u);
  for (float v : a) EXPECT_TRUE(v >= 0.f && v < 1.f);
  const double mean = std::accumulate(a.begin(), a.end(), 0.0) / 300;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / 300));  // 5 standard errors of the mean
  EXPECT_EQ(dream_noise(shape, 5), a);
  EXPECT_NE(dream_noise(shape, 6), a);
}

TEST(DeepDream, RefusesBadOptions) {
  const train::InputShape shape{1, 8, 8};
  const LinearModel model(shape);
  DreamOptions o;
  o.jitter = 5;  // more than half the side
  EXPECT_THROW(deep_dream(dream_noise(shape, 0), shape, model.gradient_fn(), model.scorer(), o), ConfigError);
  o.jitter = 0;
  o.step_size = 0;
  EXPECT_THROW(deep_dream(dream_noise(shape, 0), shape, model.gradient_fn(), model.scorer(), o), ConfigError);
}
