// Preprocessing: percentiles as numpy defines them, outputs in range, no NaN from constant or
// non-finite images, stretches by their formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/data/preprocess.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

std::vector<float> noisy_image(std::size_t n, std::uint64_t seed) {
  Rng rng(seed, 0);
  std::vector<float> x(n);
  for (auto& v : x) v = float(rng.normal(0.0, 1.0) + (rng.uniform() < 0.05 ? 50.0 * rng.uniform() : 0.0));
  return x;
}

// numpy.percentile's default (linear) on a sorted copy.
double sorted_percentile(std::vector<float> x, double p) {
  std::sort(x.begin(), x.end());
  const double r = p / 100.0 * double(x.size() - 1);
  const std::size_t k = std::size_t(r);
  return k + 1 < x.size() ? x[k] + (r - double(k)) * (x[k + 1] - x[k]) : x[k];
}

}  // namespace

TEST(Preprocess, PercentilesFollowNumpy) {
  std::vector<float> scratch;
  const std::vector<float> five{5, 1, 4, 2, 3};
  EXPECT_EQ(percentiles(five.data(), 5, 25, 50, scratch), (std::pair<double, double>{2.0, 3.0}));
  const auto [a, b] = percentiles(five.data(), 5, 0, 90, scratch);  // numpy: 1.0, 4.6
  EXPECT_EQ(a, 1.0);
  EXPECT_NEAR(b, 4.6, 1e-12);
  const std::vector<float> x = noisy_image(1001, 3);
  for (auto [lo, hi] : {std::pair{0.0, 100.0}, std::pair{1.0, 99.0}, std::pair{37.3, 37.3}, std::pair{0.1, 99.95}}) {
    const auto [plo, phi] = percentiles(x.data(), x.size(), lo, hi, scratch);
    EXPECT_DOUBLE_EQ(plo, sorted_percentile(x, lo));
    EXPECT_DOUBLE_EQ(phi, sorted_percentile(x, hi));
  }
}

TEST(Preprocess, NormalisationsStayInZeroOne) {
  const InputShape shape{3, 32, 32};
  for (Normalisation norm : {Normalisation::MINMAX, Normalisation::PERCENTILE})
    for (Stretch st : {Stretch::LINEAR, Stretch::ASINH, Stretch::SQRT, Stretch::LOG}) {
      std::vector<float> x = noisy_image(std::size_t(shape.numel()), 4);
      PreprocessSpec p;
      p.normalisation = norm;
      p.stretch = st;
      p.softening = 0.5;
      p.band_scale = {1.0, 10.0, 0.1};
      p.clip_low = 0.5;
      p.clip_high = 99.5;
      preprocess(x.data(), shape, p);
      for (int c = 0; c < 3; ++c) {
        const auto begin = x.begin() + c * 1024, end = begin + 1024;
        EXPECT_GE(*std::min_element(begin, end), 0.0f);
        EXPECT_LE(*std::max_element(begin, end), 1.0f);
        if (norm == Normalisation::MINMAX) {  // the extremes reach both ends
          EXPECT_EQ(*std::min_element(begin, end), 0.0f);
          EXPECT_EQ(*std::max_element(begin, end), 1.0f);
        } else {  // 1% of 1024 pixels lie at or below P(1): between 1 and 11 of them (rank 10.23),
                  // unless the log stretch made every negative pixel 0
          const auto zeros = std::count(begin, end, 0.0f);
          EXPECT_GE(zeros, 1);
          if (st != Stretch::LOG) {
            EXPECT_LE(zeros, 11);
          }
        }
      }
    }
}

TEST(Preprocess, ConstantAndNonFiniteImagesGiveNoNaN) {
  const InputShape shape{2, 8, 8};
  for (Normalisation norm : {Normalisation::NONE, Normalisation::MINMAX, Normalisation::PERCENTILE})
    for (Stretch st : {Stretch::LINEAR, Stretch::ASINH, Stretch::SQRT, Stretch::LOG}) {
      std::vector<float> x(std::size_t(shape.numel()), 3.0f);
      x[5] = std::nanf("");
      x[70] = INFINITY;
      PreprocessSpec p;
      p.normalisation = norm;
      p.stretch = st;
      p.clip_low = 1;
      preprocess(x.data(), shape, p);
      for (float v : x) ASSERT_TRUE(std::isfinite(v));
      if (norm != Normalisation::NONE) {
        // Channel 1 was constant except one +inf, made 0: it normalises to [0, 1] too.
        EXPECT_EQ(*std::max_element(x.begin() + 64, x.end()), 1.0f);
      }
    }
  std::vector<float> c(64, 7.0f);
  PreprocessSpec p;
  preprocess(c.data(), InputShape{1, 8, 8}, p);
  for (float v : c) EXPECT_EQ(v, 0.0f);
}

TEST(Preprocess, StretchesFollowTheirFormulas) {
  const std::vector<float> in{-4.0f, -0.5f, 0.0f, 0.25f, 2.0f, 100.0f};
  const InputShape shape{1, 1, 6};
  PreprocessSpec p;
  p.normalisation = Normalisation::NONE;
  p.softening = 0.5;
  p.band_scale = {2.0};
  for (Stretch st : {Stretch::LINEAR, Stretch::ASINH, Stretch::SQRT, Stretch::LOG}) {
    p.stretch = st;
    std::vector<float> x = in;
    preprocess(x.data(), shape, p);
    for (std::size_t k = 0; k < in.size(); ++k) {
      const double v = 2.0 * in[k];
      const double expect = st == Stretch::LINEAR  ? v
                            : st == Stretch::ASINH ? std::asinh(v / 0.5)
                            : st == Stretch::SQRT  ? std::copysign(std::sqrt(std::abs(v)), v)
                                                   : std::log10(1.0 + std::max(v, 0.0) / 0.5);
      EXPECT_NEAR(x[k], expect, 1e-6 * std::max(1.0, std::abs(expect))) << stretch_name(st) << " " << in[k];
    }
  }
}

TEST(Preprocess, ClippingStopsAtThePercentiles) {
  std::vector<float> x = noisy_image(1024, 5);
  std::vector<float> scratch;
  const auto [lo, hi] = percentiles(x.data(), x.size(), 2.0, 98.0, scratch);
  PreprocessSpec p;
  p.normalisation = Normalisation::NONE;
  p.clip_low = 2;
  p.clip_high = 98;
  preprocess(x.data(), InputShape{1, 32, 32}, p);
  EXPECT_EQ(*std::min_element(x.begin(), x.end()), float(lo));
  EXPECT_EQ(*std::max_element(x.begin(), x.end()), float(hi));
}

TEST(Preprocess, BandScaleNeedsOneValuePerChannel) {
  std::vector<float> x(32, 1.0f);
  PreprocessSpec p;
  p.band_scale = {1.0, 2.0, 3.0};
  EXPECT_THROW(preprocess(x.data(), InputShape{2, 4, 4}, p), ConfigError);
}
