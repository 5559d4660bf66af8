#pragma once
// Distributions of population parameters. Every draw takes an explicit Rng (core/rng.hpp); the
// sampling code is lensforge's own (no <random>), so draws are bit-identical on every platform.
//
// In a generator config (population/generator_config.hpp) a parameter is written as
//   0.5                                                   fixed value
//   {dist: fixed, value: 0.5}                             fixed value
//   {dist: uniform, min: 0.2, max: 0.8}                   uniform on [min, max)
//   {dist: normal, mean: 0, sigma: 0.1}                   Gaussian
//   {dist: truncated_normal, mean: 1, sigma: 0.3, min: 0.5, max: 2}
//   {dist: lognormal, median: 0.3, sigma_dex: 0.2}        log10 x ~ N(log10 median, sigma_dex), or
//   {dist: lognormal, mu: -1.2, sigma: 0.46}              ln x ~ N(mu, sigma) (natural log)
//   {dist: power_law, slope: -2, min: 0.1, max: 1}        p(x) ~ x^slope on [min, max], min > 0
//   {dist: choice, values: [2, 3, 4], weights: [1, 2, 1]} one of the values (weights optional: equal)
//   {dist: catalog, catalog: lenses, column: z_lens}      a column of a CSV catalog (population/catalog.hpp):
//                                                         a sample draws ONE row per catalog, shared by
//                                                         every parameter that names that catalog
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/population/catalog.hpp"

namespace lensforge {

/// Always `value`.
struct FixedValue {
  double value = 0.0;  ///< finite
};

/// Uniform on [min, max).
struct UniformDist {
  double min = 0.0;  ///< finite
  double max = 1.0;  ///< finite, > min
};

/// Gaussian N(mean, sigma^2).
struct NormalDist {
  double mean = 0.0;   ///< finite
  double sigma = 1.0;  ///< > 0
};

/// N(mean, sigma^2) restricted to [min, max] (drawn by inverting the CDF: no rejection loop, so
/// narrow windows far in a tail cost the same).
struct TruncatedNormalDist {
  double mean = 0.0;   ///< finite
  double sigma = 1.0;  ///< > 0
  double min = -1.0;   ///< finite
  double max = 1.0;    ///< finite, > min
};

/// Log-normal: ln x ~ N(mu, sigma^2), i.e. median e^mu. The config may give it as median and
/// sigma_dex (scatter of log10 x): mu = ln(median), sigma = sigma_dex ln 10.
struct LogNormalDist {
  double mu = 0.0;     ///< natural log of the median, finite
  double sigma = 1.0;  ///< scatter of ln x, > 0
};

/// Power law p(x) ~ x^slope on [min, max].
struct PowerLawDist {
  double slope = -1.0;  ///< finite (any sign; -1 is uniform in ln x)
  double min = 1.0;     ///< > 0
  double max = 10.0;    ///< > min
};

/// One of `values`, with probabilities proportional to `weights` (empty: equal).
struct ChoiceDist {
  std::vector<double> values;   ///< at least one, finite
  std::vector<double> weights;  ///< empty, or one per value, >= 0, positive sum
};

/// A column of a catalog: the value in the sample's row of that catalog.
struct CatalogColumnDist {
  std::size_t catalog = 0;  ///< index into the config's catalogs
  std::size_t column = 0;   ///< index into the catalog's columns
};

using Distribution =
    std::variant<FixedValue, UniformDist, NormalDist, TruncatedNormalDist, LogNormalDist, PowerLawDist, ChoiceDist,
                 CatalogColumnDist>;

/// The config name of the distribution ("fixed", "uniform", ..., "catalog").
const char* name(const Distribution& d);

/// Empty when valid, else a message naming the parameter, its value and the allowed range
/// ("max = 1 must be > min = 2"). Catalog columns are checked against `catalogs`.
std::string validate(const Distribution& d, const std::vector<Catalog>& catalogs);

/// Short text for messages: "uniform(0.2, 0.8)", "catalog lenses.z_lens", ...
std::string describe(const Distribution& d, const std::vector<Catalog>& catalogs);

/// The interval every draw lies in; an open end is never drawn (unbounded sides: -inf / +inf,
/// open). Catalog columns: their smallest and largest value.
struct Support {
  double lo = 0.0;
  double hi = 0.0;
  bool lo_open = false;
  bool hi_open = false;
  /// "[0.2, 0.8)", "(-inf, inf)", ...
  std::string text() const;
};
Support support(const Distribution& d, const std::vector<Catalog>& catalogs);

/// One draw. `rows[c]` is the sample's row of catalog c (only read for catalog columns). Uses as
/// many numbers from `rng` as the distribution needs (none for fixed values and catalog columns).
double sample(const Distribution& d, Rng& rng, const std::vector<Catalog>& catalogs,
              const std::vector<std::size_t>& rows);

/// Standard normal CDF and its inverse (|error| < 1e-15 relative in the lower tail), used by the
/// truncated normal.
double normal_cdf(double x);
double normal_quantile(double p);

}  // namespace lensforge
