#include "lensforge/train/eval/confidence_interval.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) throw ConfigError(fmt::format("normal_quantile: p = {}: must be in (0, 1)", p));
  // Start: Abramowitz & Stegun 26.2.23 for the lower tail q = min(p, 1 - p) (|error| < 4.5e-4),
  // then Newton steps on Phi(x) - q with Phi from erfc, accurate in the tail.
  const double q = std::min(p, 1.0 - p);
  const double t = std::sqrt(-2.0 * std::log(q));
  double x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (int it = 0; it < 50; ++it) {
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    const double step = (cdf - q) / pdf;
    x -= step;
    if (std::abs(step) < 1e-15 * std::max(1.0, std::abs(x))) break;
  }
  return p < 0.5 ? x : -x;
}

ConfidenceInterval wilson_interval(std::int64_t successes, std::int64_t trials, double level) {
  if (successes < 0 || successes > trials)
    throw ConfigError(fmt::format("wilson_interval: {} successes of {} trials: need 0 <= successes <= trials",
                                  successes, trials));
  if (!(level > 0.0 && level < 1.0))
    throw ConfigError(fmt::format("wilson_interval: level = {}: must be in (0, 1)", level));
  ConfidenceInterval ci;
  ci.level = level;
  if (trials == 0) return ci;
  const double n = double(trials), k = double(successes);
  const double z = normal_quantile(0.5 + 0.5 * level), z2 = z * z;
  const double centre = (k + 0.5 * z2) / (n + z2);
  const double half = z / (n + z2) * std::sqrt(k * (n - k) / n + 0.25 * z2);
  ci.value = k / n;
  ci.lower = std::max(0.0, centre - half);
  ci.upper = std::min(1.0, centre + half);
  return ci;
}

}  // namespace lensforge::eval
