#pragma once
// Coverage of predicted Gaussian uncertainties: the fraction of truths inside
// predicted +- z sigma, which for honest sigmas is the nominal level (68.27% for z = 1,
// 95% for z = 1.95996).
#include <cstdint>
#include <span>

#include "lensforge/train/eval/confidence_interval.hpp"

namespace lensforge::eval {

struct IntervalCoverage {
  double nominal = 0.0;       ///< nominal level of the interval, (0, 1)
  double z = 0.0;             ///< half-width in sigmas: normal_quantile((1 + nominal) / 2)
  std::int64_t count = 0;     ///< examples with finite truth, prediction and sigma > 0
  double mean_sigma = 0.0;    ///< NaN when count = 0
  ConfidenceInterval fraction;  ///< fraction with |predicted - truth| <= z sigma, Wilson interval at `level`
};

/// ConfigError when the spans differ in length or nominal/level are outside (0, 1).
IntervalCoverage interval_coverage(std::span<const double> truth, std::span<const double> predicted,
                                   std::span<const double> sigma, double nominal, double level = 0.95);

/// The nominal level of a +-1 sigma interval: erf(1 / sqrt 2) = 0.682689...
inline constexpr double kOneSigmaLevel = 0.6826894921370859;

}  // namespace lensforge::eval
