#include "lensforge/train/eval/regression_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {
namespace {

/// 1.4826 median |x - median x|: the standard deviation of a Gaussian, robust to outliers.
double robust_sigma(std::span<const double> x, double med) {
  std::vector<double> dev;
  dev.reserve(x.size());
  for (const double v : x) dev.push_back(std::abs(v - med));
  return 1.4826 * median(dev);
}

}  // namespace

std::string RegressionOptions::validate() const {
  if (!(outlier_sigma > 0.0 && outlier_sigma <= 1e6))
    return fmt::format("regression.outlier_sigma = {}: must be in (0, 1e6]", outlier_sigma);
  if (!(outlier_relative >= 0.0 && outlier_relative <= 1e6))
    return fmt::format("regression.outlier_relative = {}: must be 0 (off) or in (0, 1e6]", outlier_relative);
  return "";
}

double median(std::span<const double> values) {
  std::vector<double> v;
  for (const double x : values)
    if (std::isfinite(x)) v.push_back(x);
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(h), v.end());
  if (v.size() % 2 == 1) return v[h];
  return 0.5 * (v[h] + *std::max_element(v.begin(), v.begin() + std::ptrdiff_t(h)));
}

RegressionMetrics regression_metrics(std::span<const double> truth, std::span<const double> predicted,
                                     const RegressionOptions& options) {
  if (const std::string e = options.validate(); !e.empty()) throw ConfigError(e);
  if (truth.size() != predicted.size())
    throw ConfigError(fmt::format("regression_metrics: {} truths but {} predictions", truth.size(), predicted.size()));
  std::vector<double> t, res, rel;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!std::isfinite(truth[i]) || !std::isfinite(predicted[i])) continue;
    t.push_back(truth[i]);
    res.push_back(predicted[i] - truth[i]);
    if (truth[i] != 0.0) rel.push_back(res.back() / std::abs(truth[i]));
  }
  RegressionMetrics m;
  m.count = std::int64_t(t.size());
  if (t.empty()) return m;
  const double n = double(t.size());
  double sum = 0.0, sum2 = 0.0, tsum = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    sum += res[i];
    sum2 += res[i] * res[i];
    tsum += t[i];
  }
  m.bias = sum / n;
  m.rms = std::sqrt(sum2 / n);
  m.median_residual = median(res);
  m.robust_scatter = robust_sigma(res, m.median_residual);
  if (!rel.empty()) {
    m.relative_median = median(rel);
    m.relative_robust_scatter = robust_sigma(rel, m.relative_median);
  }
  std::int64_t outliers = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (options.outlier_relative > 0.0)
      outliers += t[i] == 0.0 ? res[i] != 0.0 : std::abs(res[i]) / std::abs(t[i]) > options.outlier_relative;
    else
      outliers += std::abs(res[i]) > options.outlier_sigma * m.robust_scatter;
  }
  m.outlier_fraction = double(outliers) / n;
  const double tmean = tsum / n;
  double ss_tot = 0.0;
  for (const double v : t) ss_tot += (v - tmean) * (v - tmean);
  if (t.size() >= 2 && ss_tot > 0.0) m.r2 = 1.0 - sum2 / ss_tot;
  return m;
}

}  // namespace lensforge::eval
