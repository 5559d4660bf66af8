#include "lensforge/train/eval/interval_coverage.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {

IntervalCoverage interval_coverage(std::span<const double> truth, std::span<const double> predicted,
                                   std::span<const double> sigma, double nominal, double level) {
  if (truth.size() != predicted.size() || truth.size() != sigma.size())
    throw ConfigError(fmt::format("interval_coverage: {} truths, {} predictions and {} sigmas: must be equal",
                                  truth.size(), predicted.size(), sigma.size()));
  if (!(nominal > 0.0 && nominal < 1.0))
    throw ConfigError(fmt::format("interval_coverage: nominal = {}: must be in (0, 1)", nominal));
  IntervalCoverage c;
  c.nominal = nominal;
  c.z = normal_quantile(0.5 + 0.5 * nominal);
  std::int64_t inside = 0;
  double sigma_sum = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!std::isfinite(truth[i]) || !std::isfinite(predicted[i]) || !(sigma[i] > 0.0 && std::isfinite(sigma[i])))
      continue;
    ++c.count;
    sigma_sum += sigma[i];
    inside += std::abs(predicted[i] - truth[i]) <= c.z * sigma[i];
  }
  c.mean_sigma = c.count > 0 ? sigma_sum / double(c.count) : std::numeric_limits<double>::quiet_NaN();
  c.fraction = wilson_interval(inside, c.count, level);
  return c;
}

}  // namespace lensforge::eval
