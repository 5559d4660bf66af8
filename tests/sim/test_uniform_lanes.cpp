// UniformLanes of core/rng.hpp: the 8-lane SIMD xoshiro256++ block generator of uniforms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "lensforge/sim/core/rng.hpp"

using lensforge::Rng;
using lensforge::UniformLanes;

namespace {

constexpr std::size_t kLanes = UniformLanes::kLanes;

std::vector<double> stream(Rng rng, std::size_t n) {
  UniformLanes lanes(rng);
  std::vector<double> u(n);
  lanes.fill(u.data(), n);
  return u;
}

// Upper critical value of chi^2 with `dof` degrees of freedom at z standard deviations
// (Wilson-Hilferty approximation; z = 4.5 is a one-sided tail of 3.4e-6).
double chi2_critical(int dof, double z) {
  const double h = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - h + z * std::sqrt(h), 3);
}

// Pearson correlation of x[i] and y[i].
double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = double(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i], sy += y[i], sxx += x[i] * x[i], syy += y[i] * y[i], sxy += x[i] * y[i];
  }
  const double cxy = sxy / n - sx / n * sy / n;
  return cxy / std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
}

// The documented algorithm, scalar: lane l's state word j is SplitMix64 output l + 1 of the
// j-th draw of the Rng; each lane is a plain xoshiro256++ (Blackman & Vigna 2019).
struct ReferenceLane {
  std::uint64_t s[4];
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s[0] + s[3], 23) + s[0], t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
};

}  // namespace

TEST(UniformLanes, EachLaneIsXoshiroSeededBySplitMixOfFourDraws) {
  Rng rng(21, 5), copy(21, 5);
  std::uint64_t w[4];
  for (auto& x : w) x = copy.next();
  ReferenceLane ref[kLanes];
  for (std::size_t l = 0; l < kLanes; ++l) {
    for (int j = 0; j < 4; ++j) {
      std::uint64_t z = w[j] + (l + 1) * 0x9E3779B97F4A7C15ULL;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      ref[l].s[j] = z ^ (z >> 31);
    }
  }
  UniformLanes lanes(rng);
  EXPECT_EQ(rng.next(), copy.next());  // the constructor took exactly four draws
  std::vector<double> u(kLanes * 300);
  lanes.fill(u.data(), u.size());
  for (std::size_t k = 0; k < u.size(); ++k)
    ASSERT_EQ(u[k], double(ref[k % kLanes].next() >> 11) * 0x1.0p-53) << "value " << k;
}

TEST(UniformLanes, StreamDoesNotDependOnCallSizes) {
  const Rng seed(3, 14);
  const std::vector<double> whole = stream(seed, 1000);
  Rng r = seed;
  UniformLanes lanes(r);
  std::vector<double> pieces(1000);
  std::size_t k = 0;
  for (std::size_t len : {1, 0, 7, 8, 3, 64, 13, 200}) {
    lanes.fill(pieces.data() + k, len);
    k += len;
  }
  while (k < 1000) pieces[k++] = lanes.uniform();
  EXPECT_EQ(pieces, whole);
  EXPECT_EQ(stream(seed, 1000), whole);  // deterministic
  EXPECT_NE(stream(Rng(3, 15), 1000), whole);
  // Two generators seeded one after the other from the same Rng give different streams.
  Rng s = seed;
  UniformLanes first(s), second(s);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += first.uniform() == second.uniform();
  EXPECT_EQ(same, 0);
}

TEST(UniformLanes, MomentsAndChiSquareOnSixtyFourBins) {
  // 2^20 uniforms: standard errors of the mean sqrt(1/12/n) = 2.8e-4 and of the variance
  // sqrt(1/180/n) = 7.3e-5; Pearson chi-square on 64 equal bins (63 dof) below its 4.5-sigma
  // critical value; values are k 2^-53 with k < 2^53 (the last bit set in about half).
  const std::size_t n = std::size_t(1) << 20;
  const std::vector<double> u = stream(Rng(8, 1), n);
  std::vector<double> bins(64, 0.0);
  double s = 0, s2 = 0, odd = 0;
  std::size_t outside = 0, not_on_grid = 0;
  for (double v : u) {
    outside += !(v >= 0.0 && v < 1.0);
    const double k = v * 0x1.0p53;
    not_on_grid += k != std::floor(k);
    odd += double(std::uint64_t(k) & 1);
    s += v;
    s2 += v * v;
    bins[std::min(std::size_t(v * 64.0), std::size_t(63))] += 1.0;
  }
  EXPECT_EQ(outside, 0u);
  EXPECT_EQ(not_on_grid, 0u);
  const double N = double(n), mean = s / N, var = s2 / N - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12.0 / N));
  EXPECT_NEAR(var, 1.0 / 12.0, 5 * std::sqrt(1.0 / 180.0 / N));
  EXPECT_NEAR(odd / N, 0.5, 5 * std::sqrt(0.25 / N));
  double chi2 = 0.0;
  const double expected = N / 64.0;
  for (double b : bins) chi2 += (b - expected) * (b - expected) / expected;
  EXPECT_LT(chi2, chi2_critical(63, 4.5));
}

TEST(UniformLanes, LanesAndStepsAreUncorrelated) {
  // Pearson correlations of independent uniforms have standard error 1/sqrt(m); 5 standard
  // errors. Every pair of lanes at the same step (28 pairs), each lane with its own next step,
  // and the stream at lags 1 (neighbouring lanes) and kLanes (the same lane).
  const std::size_t steps = 1 << 16;
  const std::vector<double> u = stream(Rng(6, 2), kLanes * (steps + 1));
  std::vector<std::vector<double>> lane(kLanes, std::vector<double>(steps + 1));
  for (std::size_t k = 0; k < u.size(); ++k) lane[k % kLanes][k / kLanes] = u[k];
  const double tol = 5.0 / std::sqrt(double(steps));
  for (std::size_t a = 0; a < kLanes; ++a) {
    const std::vector<double> now(lane[a].begin(), lane[a].end() - 1), next(lane[a].begin() + 1, lane[a].end());
    EXPECT_NEAR(correlation(now, next), 0.0, tol) << "lane " << a << ", lag 1 step";
    for (std::size_t b = a + 1; b < kLanes; ++b)
      EXPECT_NEAR(correlation(lane[a], lane[b]), 0.0, tol) << "lanes " << a << ", " << b;
  }
  for (std::size_t lag : {std::size_t(1), kLanes}) {
    const std::vector<double> x(u.begin(), u.end() - lag), y(u.begin() + lag, u.end());
    EXPECT_NEAR(correlation(x, y), 0.0, 5.0 / std::sqrt(double(x.size()))) << "lag " << lag;
  }
  // The next block of the same Rng is uncorrelated with this one.
  Rng r(6, 2);
  UniformLanes first(r), second(r);
  std::vector<double> x(steps), y(steps);
  first.fill(x.data(), steps);
  second.fill(y.data(), steps);
  EXPECT_NEAR(correlation(x, y), 0.0, tol);
}
