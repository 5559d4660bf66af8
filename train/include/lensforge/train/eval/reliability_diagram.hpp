#pragma once
// Calibration of predicted probabilities: the reliability diagram (observed positive fraction
// against mean predicted probability, in equal-width probability bins) and the expected
// calibration error read off it (Guo et al. 2017, eq. 3, on the probability of the positive class).
#include <cstdint>
#include <span>
#include <vector>

#include "lensforge/train/eval/confidence_interval.hpp"

namespace lensforge::eval {

struct ReliabilityBin {
  double low = 0.0;                ///< bin edges in probability: [low, high), the last bin closed
  double high = 0.0;
  std::int64_t count = 0;
  double mean_probability = 0.0;   ///< NaN when empty
  ConfidenceInterval positive_fraction;  ///< positives / count with its Wilson interval (NaN when empty)
};

/// `bins` (1..10000, else ConfigError) equal-width bins on [0, 1]; probabilities must lie in
/// [0, 1] (ConfigError naming the index otherwise); labels 0/1.
std::vector<ReliabilityBin> reliability_diagram(std::span<const double> probabilities, std::span<const int> labels,
                                                int bins = 10, double level = 0.95);

/// ECE = sum_b (n_b / n) |positive fraction_b - mean probability_b|; NaN when every bin is empty.
double expected_calibration_error(const std::vector<ReliabilityBin>& bins);

}  // namespace lensforge::eval
