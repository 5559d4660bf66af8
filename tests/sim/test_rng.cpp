#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lensforge/sim/core/rng.hpp"

using lensforge::Rng;

TEST(Rng, SameSeedAndStreamGiveTheSameSequence) {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  int same_c = 0, same_d = 0;
  for (int k = 0; k < 100; ++k) {
    const auto va = a.next();
    EXPECT_EQ(va, b.next());
    same_c += va == c.next();
    same_d += va == d.next();
  }
  EXPECT_EQ(same_c, 0);
  EXPECT_EQ(same_d, 0);
  Rng e(42, 7);
  EXPECT_NE(e.split(1).next(), e.split(2).next());
  EXPECT_EQ(e.split(1).next(), Rng(42, 7).split(1).next());
}

TEST(Rng, UniformAndNormalMoments) {
  // 2e5 draws: standard errors of the mean are 6.5e-4 (uniform) and 2.2e-3 (normal); 5 sigma.
  Rng r(1, 2);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int k = 0; k < n; ++k) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double g = r.normal();
    sn += g;
    sn2 += g * g;
  }
  EXPECT_NEAR(su / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(sn / n, 0.0, 5 * std::sqrt(1.0 / n));
  EXPECT_NEAR(sn2 / n, 1.0, 5 * std::sqrt(2.0 / n));
}

TEST(Rng, PoissonMeanAndVarianceInBothRegimes) {
  for (double lambda : {0.3, 4.0, 29.0, 31.0, 1000.0, 2.5e5}) {
    Rng r(9, static_cast<std::uint64_t>(lambda * 10));
    const int n = 40000;
    double s = 0, s2 = 0;
    for (int k = 0; k < n; ++k) {
      const double v = double(r.poisson(lambda));
      s += v;
      s2 += v * v;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    // Standard errors: mean sqrt(lambda/n); variance ~ lambda sqrt(2/n) for large lambda.
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)) << "lambda " << lambda;
    EXPECT_NEAR(var, lambda, 5 * std::sqrt((2 * lambda * lambda + lambda) / n)) << "lambda " << lambda;
  }
}

TEST(Rng, BelowIsUnbiased) {
  Rng r(3, 4);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int k = 0; k < n; ++k) ++counts[r.below(7)];
  for (int c : counts) EXPECT_NEAR(c, n / 7.0, 5 * std::sqrt(n / 7.0));
}
