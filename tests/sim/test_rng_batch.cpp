// Batched draws of core/rng.hpp: fill_standard_normal and sample_poisson_inplace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "lensforge/sim/core/rng.hpp"

using lensforge::Rng;

namespace {

std::vector<double> poisson_batch(double lambda, std::size_t n, std::uint64_t stream) {
  std::vector<double> x(n, lambda);
  Rng r(17, stream);
  lensforge::sample_poisson_inplace(r, x.data(), n);
  return x;
}

// Upper critical value of chi^2 with `dof` degrees of freedom at z standard deviations
// (Wilson-Hilferty approximation; z = 4.5 is a one-sided tail of 3.4e-6).
double chi2_critical(int dof, double z) {
  const double h = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - h + z * std::sqrt(h), 3);
}

// Chi-square of n Poisson(lambda) deviates against the exact pmf, on bins of expected count >= 20
// (the two tails pooled into the end bins). Returns {chi2, dof}.
std::pair<double, int> poisson_chi2(const std::vector<double>& x, double lambda) {
  const double n = double(x.size());
  auto pmf = [lambda](double k) { return std::exp(-lambda + k * std::log(lambda) - std::lgamma(k + 1.0)); };
  const int mode = int(lambda);
  int lo = mode, hi = mode;
  while (lo > 0 && n * pmf(lo - 1) >= 20.0) --lo;
  while (n * pmf(hi + 1) >= 20.0) ++hi;
  std::vector<double> expected(hi - lo + 1), observed(hi - lo + 1, 0.0);
  for (int k = lo; k <= hi; ++k) expected[k - lo] = n * pmf(k);
  double below = 0.0;  // P(K < lo)
  for (int k = 0; k < lo; ++k) below += pmf(k);
  double inside = 0.0;
  for (double e : expected) inside += e / n;
  expected.front() += n * below;
  expected.back() += n * (1.0 - below - inside);
  for (double v : x) ++observed[std::clamp(int(v), lo, hi) - lo];
  double chi2 = 0.0;
  for (std::size_t b = 0; b < expected.size(); ++b)
    chi2 += (observed[b] - expected[b]) * (observed[b] - expected[b]) / expected[b];
  return {chi2, int(expected.size()) - 1};
}

// The documented algorithm of sample_poisson_inplace, scalar and in plain IEEE arithmetic (this
// file is not compiled with -ffast-math): one UniformLanes seeded from the Rng, rounds in which
// every open element takes one pair of its stream (one value at a time), inversion below 10,
// PTRS (Hoermann 1993) with the exact acceptance test from 10 on.
std::vector<double> reference_batch(Rng& rng, std::vector<double> x) {
  lensforge::UniformLanes lanes(rng);
  std::vector<std::size_t> open(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) open[i] = i;
  bool first = true;
  while (!open.empty()) {
    std::vector<std::size_t> rejected;
    for (std::size_t i : open) {
      const double lam = x[i];
      const double u = lanes.uniform() - 0.5;
      const double v = lanes.uniform();
      if (first && !(lam >= 10.0)) {
        double k = 0.0;
        if (lam > 0.0) {  // inversion of u + 0.5
          double p = u + 0.5, prob = std::exp(-lam);
          while (p > prob) {
            p -= prob;
            ++k;
            prob *= lam / k;
            if (prob <= 0.0) break;
          }
        }
        x[i] = k;
        continue;
      }
      const double b = 0.931 + 2.53 * std::sqrt(lam), a = -0.059 + 0.02483 * b;
      const double vr = 0.9277 - 3.6224 / (b - 2.0), us = 0.5 - std::abs(u);
      const double k = std::floor((2.0 * a / us + b) * u + lam + 0.43);
      bool accept = us >= 0.07 && v <= vr;
      if (!accept && !(k < 0.0 || (us < 0.013 && v > us)))
        accept = std::log(v) + std::log(1.1239 + 1.1328 / (b - 3.4)) - std::log(a / (us * us) + b) <=
                 -lam + k * std::log(lam) - std::lgamma(k + 1.0);
      if (accept) x[i] = k;
      else rejected.push_back(i);
    }
    open = rejected;
    first = false;
  }
  return x;
}

}  // namespace

TEST(RngBatch, PoissonMeanAndVarianceFromSmallToLargeMeans) {
  // 40000 deviates each; standard errors: mean sqrt(lambda / n), variance
  // sqrt((2 lambda^2 + lambda) / n) (Poisson fourth cumulant lambda). 5 standard errors.
  for (double lambda : {0.3, 4.0, 9.9, 10.0, 12.0, 29.0, 634.0, 1e5}) {
    const std::vector<double> x = poisson_batch(lambda, 40000, std::uint64_t(lambda * 10));
    const double n = double(x.size());
    double s = 0, s2 = 0;
    for (double v : x) {
      ASSERT_EQ(v, std::floor(v));
      ASSERT_GE(v, 0.0);
      s += v;
      s2 += v * v;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)) << "lambda " << lambda;
    EXPECT_NEAR(var, lambda, 5 * std::sqrt((2 * lambda * lambda + lambda) / n)) << "lambda " << lambda;
  }
}

TEST(RngBatch, PoissonPmfShapeAtTwelveAndSixHundredForty) {
  // Pearson chi-square against the exact pmf, 2e5 deviates; threshold 4.5 sigma (Wilson-Hilferty).
  for (double lambda : {12.0, 640.0}) {
    const auto [chi2, dof] = poisson_chi2(poisson_batch(lambda, 200000, 7), lambda);
    EXPECT_LT(chi2, chi2_critical(dof, 4.5)) << "lambda " << lambda << ", dof " << dof;
    EXPECT_GT(dof, lambda > 100 ? 150 : 20);
  }
}

TEST(RngBatch, PoissonEqualsTheScalarReferenceAlgorithm) {
  // Every vectorised decision (squeeze, Stirling-series full test with its safety margin) must
  // be the exact scalar test's, so the deviates equal a plain re-implementation bit for bit:
  // means spread over 0 .. 1e5 in one array, including the special values.
  std::vector<double> x;
  for (int i = 0; i < 30000; ++i) x.push_back(std::pow(10.0, -1.0 + 6.0 * ((i * 7919) % 30000) / 30000.0));
  x[5] = 0.0;
  x[6] = -3.0;
  x[7] = std::nan("");
  x[8] = 10.0;
  Rng a(3, 9), b(3, 9);
  std::vector<double> batch = x;
  lensforge::sample_poisson_inplace(a, batch.data(), batch.size());
  const std::vector<double> ref = reference_batch(b, x);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < x.size(); ++i) differ += batch[i] != ref[i];
  EXPECT_EQ(differ, 0u);
  EXPECT_EQ(batch[5], 0.0);
  EXPECT_EQ(batch[6], 0.0);
  EXPECT_EQ(batch[7], 0.0);
  EXPECT_EQ(a.next(), b.next());  // both took the four seeding draws of one UniformLanes
}

TEST(RngBatch, PoissonIsDeterministicPerElementMeanAndBatchSize) {
  const std::vector<double> a = poisson_batch(634.0, 1001, 1), b = poisson_batch(634.0, 1001, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, poisson_batch(634.0, 1001, 2));
  // n = 0 draws nothing; n = 1 works.
  Rng r(5, 5), untouched(5, 5);
  lensforge::sample_poisson_inplace(r, nullptr, 0);
  EXPECT_EQ(r.next(), untouched.next());
  const std::vector<double> one = poisson_batch(20.0, 1, 3);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_GE(one[0], 0.0);
  // Each element follows its own mean: alternate 15 and 1e4 in an odd-sized array.
  std::vector<double> mixed(20001);
  for (std::size_t i = 0; i < mixed.size(); ++i) mixed[i] = i % 2 ? 1e4 : 15.0;
  Rng m(8, 8);
  lensforge::sample_poisson_inplace(m, mixed.data(), mixed.size());
  double s[2] = {0, 0};
  for (std::size_t i = 0; i < mixed.size(); ++i) s[i % 2] += mixed[i];
  EXPECT_NEAR(s[0] / 10001, 15.0, 5 * std::sqrt(15.0 / 10001));
  EXPECT_NEAR(s[1] / 10000, 1e4, 5 * std::sqrt(1e4 / 10000));
}

TEST(RngBatch, NormalMomentsAndTails) {
  // 2e5 deviates: standard errors of mean, variance, skewness and excess kurtosis are
  // sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n); the fraction beyond 3 sigma is 0.0026998 with
  // standard error sqrt(p (1 - p) / n). 5 standard errors.
  const std::size_t n = 200000;
  std::vector<double> z(n);
  Rng r(11, 12);
  lensforge::fill_standard_normal(r, z.data(), n);
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0, beyond3 = 0;
  for (double v : z) {
    m1 += v;
    m2 += v * v;
    m3 += v * v * v;
    m4 += v * v * v * v;
    beyond3 += std::abs(v) > 3.0;
  }
  const double N = double(n);
  m1 /= N, m2 /= N, m3 /= N, m4 /= N;
  EXPECT_NEAR(m1, 0.0, 5 * std::sqrt(1 / N));
  EXPECT_NEAR(m2, 1.0, 5 * std::sqrt(2 / N));
  EXPECT_NEAR(m3, 0.0, 5 * std::sqrt(6 / N));
  EXPECT_NEAR(m4 - 3.0, 0.0, 5 * std::sqrt(24 / N));
  const double p3 = std::erfc(3.0 / std::sqrt(2.0));
  EXPECT_NEAR(beyond3 / N, p3, 5 * std::sqrt(p3 * (1 - p3) / N));
  // Pairs are independent: the correlation of out[2p] and out[2p + 1] is zero to 5 sigma.
  double c = 0;
  for (std::size_t p = 0; p + 1 < n; p += 2) c += z[p] * z[p + 1];
  EXPECT_NEAR(c / (N / 2), 0.0, 5 * std::sqrt(2 / N));
}

TEST(RngBatch, NormalIsDeterministicAndChunkable) {
  std::vector<double> whole(1001), chunked(1001), longer(1002), two_calls(1001);
  Rng a(2, 3), b(2, 3), c(2, 3), e(2, 3);
  lensforge::fill_standard_normal(a, whole.data(), whole.size());
  // An odd n drops the last sine: the first 1001 of 1002 are the same values.
  lensforge::fill_standard_normal(b, longer.data(), 1002);
  for (std::size_t i = 0; i < 1001; ++i) ASSERT_EQ(whole[i], longer[i]) << i;
  // Even-sized pieces from one UniformLanes draw like one call; the Rng overload is one
  // UniformLanes per call, seeded by four draws.
  lensforge::UniformLanes lanes(c);
  lensforge::fill_standard_normal(lanes, chunked.data(), 2);
  lensforge::fill_standard_normal(lanes, chunked.data() + 2, 600);
  lensforge::fill_standard_normal(lanes, chunked.data() + 602, 399);
  for (std::size_t i = 0; i < 1001; ++i) ASSERT_EQ(whole[i], chunked[i]) << i;
  EXPECT_EQ(a.next(), c.next());
  // Two calls on the Rng seed two generators: the second piece takes other values.
  lensforge::fill_standard_normal(e, two_calls.data(), 2);
  lensforge::fill_standard_normal(e, two_calls.data() + 2, 999);
  EXPECT_EQ(two_calls[0], whole[0]);
  EXPECT_NE(two_calls[2], whole[2]);
  // n = 0 draws nothing, n = 1 gives one finite value.
  Rng r(4, 4), untouched(4, 4);
  lensforge::fill_standard_normal(r, nullptr, 0);
  EXPECT_EQ(r.next(), untouched.next());
  double one = NAN;
  lensforge::fill_standard_normal(r, &one, 1);
  EXPECT_TRUE(std::isfinite(one));
  // Another stream differs.
  std::vector<double> other(1001);
  Rng d(2, 4);
  lensforge::fill_standard_normal(d, other.data(), other.size());
  EXPECT_NE(other, whole);
}
