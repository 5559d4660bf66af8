// Population distributions: each distribution's mean and variance agree with the analytic values
// within 5 standard errors, every draw lies in its support, the normal quantile inverts the CDF,
// catalogs parse (and fail) as documented and catalog columns read the sample's row.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/population/distribution.hpp"

using namespace lensforge;

namespace {

constexpr int kDraws = 40000;

struct Moments {
  double mean, var;
};

// Draws kDraws values, checks they lie in [lo, hi], and compares the sample mean and variance with
// the exact ones: the mean's standard error is sqrt(var / N), the variance's
// sqrt((mu4 - var^2) / N) with the sample's fourth central moment mu4.
void expect_moments(const Distribution& d, Moments exact, double lo, double hi, std::uint64_t stream) {
  SCOPED_TRACE(describe(d, {}));
  Rng rng(2024, stream);
  std::vector<double> x(kDraws);
  for (double& v : x) v = sample(d, rng, {}, {});
  double mean = 0.0;
  for (double v : x) {
    ASSERT_GE(v, lo);
    ASSERT_LE(v, hi);
    mean += v;
  }
  mean /= kDraws;
  double m2 = 0.0, m4 = 0.0;
  for (double v : x) {
    const double c = (v - mean) * (v - mean);
    m2 += c;
    m4 += c * c;
  }
  m2 /= kDraws;
  m4 /= kDraws;
  EXPECT_NEAR(mean, exact.mean, 5.0 * std::sqrt(exact.var / kDraws));
  EXPECT_NEAR(m2, exact.var, 5.0 * std::sqrt((m4 - m2 * m2) / kDraws));
}

double pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

// Truncated normal moments (Johnson, Kotz & Balakrishnan 1994, eq. 13.134):
// alpha, beta the standardised bounds, Z = Phi(beta) - Phi(alpha).
Moments truncated_normal_moments(double m, double s, double lo, double hi) {
  const double a = (lo - m) / s, b = (hi - m) / s, Z = normal_cdf(b) - normal_cdf(a);
  const double r = (pdf(a) - pdf(b)) / Z;
  return {m + s * r, s * s * (1.0 + (a * pdf(a) - b * pdf(b)) / Z - r * r)};
}

// p(x) ~ x^k on [a, b]: E[x^j] = I(k + j) / I(k), I(m) = int_a^b x^m dx.
Moments power_law_moments(double k, double a, double b) {
  auto I = [&](double m) {
    return std::abs(m + 1.0) < 1e-12 ? std::log(b / a) : (std::pow(b, m + 1.0) - std::pow(a, m + 1.0)) / (m + 1.0);
  };
  const double m1 = I(k + 1.0) / I(k), m2 = I(k + 2.0) / I(k);
  return {m1, m2 - m1 * m1};
}

}  // namespace

TEST(PopulationDistribution, FixedUniformNormal) {
  Rng rng(1, 0);
  for (int k = 0; k < 10; ++k) EXPECT_EQ(sample(FixedValue{2.5}, rng, {}, {}), 2.5);
  expect_moments(UniformDist{2.0, 5.0}, {3.5, 9.0 / 12.0}, 2.0, 5.0, 1);
  const double inf = std::numeric_limits<double>::infinity();
  expect_moments(NormalDist{1.0, 2.0}, {1.0, 4.0}, -inf, inf, 2);
}

TEST(PopulationDistribution, TruncatedNormalInTheBodyAndInBothTails) {
  // A window around the mean, one far in the upper tail (mirrored internally) and one in the lower.
  for (const auto& [m, s, lo, hi] : {std::tuple{1.0, 2.0, 0.0, 3.0}, std::tuple{0.0, 1.0, 3.0, 4.0},
                                     std::tuple{0.0, 1.0, -9.0, -8.5}, std::tuple{2.0, 0.3, 1.0, 10.0}})
    expect_moments(TruncatedNormalDist{m, s, lo, hi}, truncated_normal_moments(m, s, lo, hi), lo, hi,
                   std::uint64_t(10 + lo));
}

TEST(PopulationDistribution, LogNormalFromMedianAndDex) {
  // median 0.3, sigma_dex 0.2: ln x ~ N(ln 0.3, 0.2 ln 10); mean e^(mu + s^2/2),
  // variance (e^(s^2) - 1) e^(2 mu + s^2).
  const LogNormalDist d{std::log(0.3), 0.2 * std::numbers::ln10};
  const double s2 = d.sigma * d.sigma;
  expect_moments(d, {std::exp(d.mu + 0.5 * s2), (std::exp(s2) - 1.0) * std::exp(2.0 * d.mu + s2)}, 0.0,
                 std::numeric_limits<double>::infinity(), 3);
  // Half the draws lie below the median (binomial standard error sqrt(1/4N)).
  Rng rng(9, 9);
  int below = 0;
  for (int k = 0; k < kDraws; ++k) below += sample(d, rng, {}, {}) < 0.3;
  EXPECT_NEAR(double(below) / kDraws, 0.5, 5.0 * std::sqrt(0.25 / kDraws));
}

TEST(PopulationDistribution, PowerLaw) {
  for (double k : {-2.0, -1.0, 0.0, 1.5})
    expect_moments(PowerLawDist{k, 0.1, 1.0}, power_law_moments(k, 0.1, 1.0), 0.1, 1.0, std::uint64_t(20 + k * 2));
}

TEST(PopulationDistribution, ChoiceFrequenciesFollowTheWeights) {
  const ChoiceDist weighted{{2.0, 3.0, 4.0}, {1.0, 2.0, 1.0}}, equal{{-1.0, 7.0}, {}};
  const ChoiceDist with_zero{{1.0, 2.0, 3.0}, {1.0, 0.0, 3.0}};
  for (const auto& [d, p] : {std::pair{weighted, std::vector<double>{0.25, 0.5, 0.25}},
                             std::pair{equal, std::vector<double>{0.5, 0.5}},
                             std::pair{with_zero, std::vector<double>{0.25, 0.0, 0.75}}}) {
    Rng rng(5, d.values.size());
    std::vector<int> n(d.values.size(), 0);
    for (int k = 0; k < kDraws; ++k) {
      const double v = sample(d, rng, {}, {});
      const auto it = std::find(d.values.begin(), d.values.end(), v);
      ASSERT_NE(it, d.values.end());
      ++n[std::size_t(it - d.values.begin())];
    }
    for (std::size_t k = 0; k < p.size(); ++k)
      EXPECT_NEAR(double(n[k]) / kDraws, p[k], 5.0 * std::sqrt(p[k] * (1.0 - p[k]) / kDraws) + 1e-12);
  }
  EXPECT_EQ(support(with_zero, {}).lo, 1.0);  // a value of weight 0 is never drawn
  EXPECT_EQ(support(with_zero, {}).hi, 3.0);
}

TEST(PopulationDistribution, NormalQuantileInvertsTheCdf) {
  // Reference values: Phi^-1(0.975) = 1.959963984540054, Phi(1) = 0.8413447460685429 (scipy.stats.norm).
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(normal_cdf(1.0), 0.8413447460685429, 1e-15);
  for (double p : {1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.02425, 0.1, 0.3, 0.5})
    EXPECT_NEAR(normal_cdf(normal_quantile(p)) / p, 1.0, 1e-13) << "p = " << p;
  for (double p : {0.7, 0.9, 0.99, 0.999999})
    EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-15) << "p = " << p;
}

TEST(PopulationDistribution, SameStreamSameDraws) {
  const Distribution ds[] = {UniformDist{0, 1}, NormalDist{0, 1}, TruncatedNormalDist{0, 1, -1, 2},
                             LogNormalDist{0, 1}, PowerLawDist{-2, 1, 5}, ChoiceDist{{1, 2, 3}, {}}};
  Rng a(77, 3), b(77, 3), c(77, 4);
  bool differs = false;
  for (int k = 0; k < 100; ++k)
    for (const auto& d : ds) {
      const double x = sample(d, a, {}, {});
      EXPECT_EQ(x, sample(d, b, {}, {}));
      differs |= x != sample(d, c, {}, {});
    }
  EXPECT_TRUE(differs);
}

TEST(PopulationDistribution, ValidationNamesTheParameter) {
  EXPECT_EQ(validate(UniformDist{2.0, 1.0}, {}), "max = 1 must be > min = 2");
  EXPECT_EQ(validate(NormalDist{0.0, -1.0}, {}), "sigma = -1 must be > 0 and finite");
  EXPECT_EQ(validate(TruncatedNormalDist{0.0, 1.0, 1.0, 1.0}, {}), "max = 1 must be > min = 1");
  EXPECT_NE(validate(TruncatedNormalDist{0.0, 1.0, 40.0, 41.0}, {}).find("37 sigma"), std::string::npos);
  EXPECT_EQ(validate(PowerLawDist{-2.0, 0.0, 1.0}, {}), "min = 0 must be > 0 and finite");
  EXPECT_EQ(validate(ChoiceDist{{}, {}}, {}), "values: must hold at least one value");
  EXPECT_EQ(validate(ChoiceDist{{1, 2}, {1}}, {}), "weights: 1 given for 2 values; give one per value");
  EXPECT_EQ(validate(ChoiceDist{{1, 2}, {1, -1}}, {}), "weights[1] = -1 must be >= 0 and finite");
  EXPECT_EQ(validate(ChoiceDist{{1, 2}, {0, 0}}, {}), "weights: must not all be 0");
  EXPECT_EQ(validate(CatalogColumnDist{0, 0}, {}), "catalog #0 does not exist");
  EXPECT_EQ(validate(LogNormalDist{0.0, 0.5}, {}), "");
}

// ---- catalogs ---------------------------------------------------------------------------------

namespace {

const std::string kCatalog = R"(# z_lens: redshift; sigma_v: km/s
# second comment line

z_lens, sigma_v ,z_source
0.3,250,1.5   # a trailing comment
0.5, 210, 2.0
0.7,300,2.5
)";

std::string catalog_error(const std::string& text) {
  try {
    parse_catalog_csv(text, "cat.csv", "lenses");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

}  // namespace

TEST(PopulationCatalog, ParsesHeaderRowsAndComments) {
  const Catalog c = parse_catalog_csv(kCatalog, "cat.csv", "lenses");
  EXPECT_EQ(c.name, "lenses");
  EXPECT_EQ(c.columns, (std::vector<std::string>{"z_lens", "sigma_v", "z_source"}));
  ASSERT_EQ(c.num_rows(), 3u);
  EXPECT_EQ(c.values[1][1], 210.0);
  EXPECT_EQ(c.values[2][2], 2.5);
  EXPECT_EQ(*c.column_index("z_source"), 2u);
  EXPECT_FALSE(c.column_index("theta_E"));
  // Support of a column: its smallest and largest value.
  const std::vector<Catalog> cats{c};
  EXPECT_EQ(support(CatalogColumnDist{0, 1}, cats).lo, 210.0);
  EXPECT_EQ(support(CatalogColumnDist{0, 1}, cats).hi, 300.0);
  EXPECT_EQ(describe(CatalogColumnDist{0, 2}, cats), "catalog lenses.z_source");
}

TEST(PopulationCatalog, ColumnsOfOneCatalogReadTheSameRow) {
  const std::vector<Catalog> cats{parse_catalog_csv(kCatalog, "cat.csv", "lenses")};
  Rng rng(3, 3);
  for (std::size_t row = 0; row < 3; ++row) {
    const std::vector<std::size_t> rows{row};
    EXPECT_EQ(sample(CatalogColumnDist{0, 0}, rng, cats, rows), cats[0].values[0][row]);
    EXPECT_EQ(sample(CatalogColumnDist{0, 2}, rng, cats, rows), cats[0].values[2][row]);
  }
}

TEST(PopulationCatalog, ErrorsNameFileAndLine) {
  auto has = [](const std::string& msg, std::initializer_list<const char*> parts) {
    for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  };
  has(catalog_error(kCatalog + "0.1,2\n"), {"cat.csv:8:", "2 values", "3 columns", "z_lens, sigma_v, z_source"});
  has(catalog_error(kCatalog + "0.1,abc,2\n"), {"cat.csv:8:", "column 'sigma_v'", "'abc'", "not a finite number"});
  has(catalog_error(kCatalog + "0.1,nan,2\n"), {"cat.csv:8:", "'nan'"});
  has(catalog_error("a,b,a\n1,2,3\n"), {"cat.csv:1:", "'a' given twice"});
  has(catalog_error("a,,b\n1,2,3\n"), {"cat.csv:1:", "column 2 has no name"});
  has(catalog_error("# only comments\n\n"), {"cat.csv", "empty"});
  has(catalog_error("a,b\n"), {"cat.csv", "no rows"});
  EXPECT_THROW(load_catalog_csv("/nonexistent/cat.csv", "x"), IoError);
}
