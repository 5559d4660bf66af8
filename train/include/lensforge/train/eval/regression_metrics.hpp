#pragma once
// Accuracy of regressed quantities (theta_E, ellipticity, ...): residual = predicted - truth over
// the examples where both are finite.
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace lensforge::eval {

struct RegressionOptions {
  double outlier_sigma = 3.0;     ///< outlier: |residual| > outlier_sigma * robust scatter, (0, 1e6]
  /// > 0: outlier instead when |residual| / |truth| > outlier_relative (as photometric-redshift
  /// studies use 0.15), (0, 1e6]; 0: use outlier_sigma.
  double outlier_relative = 0.0;
  std::string validate() const;
};

struct RegressionMetrics {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::int64_t count = 0;            ///< examples with finite truth and prediction
  double bias = kNaN;                ///< mean residual
  double rms = kNaN;                 ///< sqrt(mean residual^2)
  double median_residual = kNaN;
  double robust_scatter = kNaN;      ///< 1.4826 median |residual - median residual| (sigma for a Gaussian)
  /// The same of residual / |truth| over examples with truth != 0 (NaN when none).
  double relative_median = kNaN;
  double relative_robust_scatter = kNaN;
  double outlier_fraction = kNaN;    ///< per RegressionOptions
  double r2 = kNaN;                  ///< 1 - sum residual^2 / sum (truth - mean truth)^2; NaN when count < 2 or truth constant
};

/// ConfigError when the spans differ in length or the options are invalid. All NaN when count = 0.
RegressionMetrics regression_metrics(std::span<const double> truth, std::span<const double> predicted,
                                     const RegressionOptions& options = {});

/// Median of the finite values (NaN when none).
double median(std::span<const double> values);

}  // namespace lensforge::eval
