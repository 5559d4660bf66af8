#pragma once
// A value with a two-sided confidence interval, and the interval for a binomial proportion.
#include <cstdint>
#include <limits>

namespace lensforge::eval {

struct ConfidenceInterval {
  double value = std::numeric_limits<double>::quiet_NaN();
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  double level = 0.95;  ///< coverage probability of [lower, upper], (0, 1)
};

/// Quantile of the standard normal distribution, p in (0, 1) (ConfigError otherwise); accurate to
/// ~1e-14 (Newton steps on erfc from a rational starting value).
double normal_quantile(double p);

/// Wilson score interval (Wilson 1927) for `successes` of `trials` (0 <= successes <= trials,
/// else ConfigError) at `level` in (0, 1): value = successes / trials; all NaN when trials = 0.
/// Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or 1.
ConfidenceInterval wilson_interval(std::int64_t successes, std::int64_t trials, double level = 0.95);

}  // namespace lensforge::eval
