#pragma once
// Completeness (the fraction of lenses found at a threshold, i.e. the TPR) per subtype and binned
// in a physical variable (theta_E, arc S/N, magnification, source magnitude, ...), with Wilson
// intervals. Conventions of scores and labels: binary_labels.hpp.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "lensforge/train/eval/confidence_interval.hpp"

namespace lensforge::eval {

/// One group of examples and the fraction of them called positive (score >= threshold).
struct CompletenessBin {
  std::string name;   ///< subtype, or the bin as "low-high"
  int label = 1;      ///< class of the group: for 1 the fraction is a completeness, for 0 a false-positive rate
  double low = std::numeric_limits<double>::quiet_NaN();     ///< bin edges in the variable (NaN for subtypes)
  double high = std::numeric_limits<double>::quiet_NaN();
  double centre = std::numeric_limits<double>::quiet_NaN();  ///< mean variable value in the bin (NaN if empty)
  std::int64_t count = 0;     ///< examples in the group
  std::int64_t selected = 0;  ///< of them called positive
  ConfidenceInterval fraction;  ///< selected / count with its Wilson interval (NaN when empty)
};

/// The fraction called positive for every (subtype, class) pair present, ordered by class
/// (positives first) then subtype name. For a positive subtype this is its completeness, for a
/// negative one (spirals, rings, ...) its false-positive rate. `subtypes` has one entry per example.
std::vector<CompletenessBin> completeness_by_subtype(std::span<const double> scores, std::span<const int> labels,
                                                     std::span<const std::string> subtypes, double threshold,
                                                     double level = 0.95);

/// Completeness of the positives binned in `variable` (one value per example; NaN/inf values and
/// values outside [edges.front(), edges.back()] are left out). Bin b is [edges[b], edges[b+1]),
/// the last one closed. `edges`: at least 2, strictly increasing, finite (else ConfigError).
std::vector<CompletenessBin> completeness_binned(std::span<const double> scores, std::span<const int> labels,
                                                 std::span<const double> variable, std::span<const double> edges,
                                                 double threshold, double level = 0.95);

/// Edges of `bins` (>= 1) bins holding about equal numbers of the finite values: the quantiles
/// k / bins; repeated edges (many equal values) merged, so fewer bins may result. Empty when
/// fewer than 2 distinct finite values.
std::vector<double> quantile_edges(std::span<const double> values, int bins);

}  // namespace lensforge::eval
