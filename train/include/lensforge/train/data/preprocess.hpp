#pragma once
// PreprocessSpec applied to stacked images, each channel on its own:
//   non-finite pixels -> 0; x *= band_scale[c]; clip to [P(clip_low), P(clip_high)] (when not
//   0 and 100); stretch; normalise (MINMAX: (x - min) / (max - min); PERCENTILE: clip to
//   [P(norm_low), P(norm_high)], then (x - P_low) / (P_high - P_low)). A channel whose range is
//   zero normalises to 0 (never NaN).
// Percentiles P(p) as numpy.percentile's default: linear interpolation between the order
// statistics at rank p / 100 * (n - 1), found with std::nth_element on a copy.
#include <cstddef>
#include <utility>
#include <vector>

#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

/// Percentiles p_low <= p_high (percent, [0, 100]) of x[0, n), n >= 1; `scratch` is reused.
std::pair<double, double> percentiles(const float* x, std::size_t n, double p_low, double p_high,
                                      std::vector<float>& scratch);

/// Preprocesses pixels [C, H, W] in place. spec.band_scale must be empty or have shape.channels
/// entries (ConfigError otherwise). Thread-safe.
void preprocess(float* pixels, const InputShape& shape, const PreprocessSpec& spec);

}  // namespace lensforge::train
