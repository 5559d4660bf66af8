#include "lensforge/train/data/preprocess.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

std::pair<double, double> percentiles(const float* x, std::size_t n, double p_low, double p_high,
                                      std::vector<float>& scratch) {
  scratch.assign(x, x + n);
  const auto begin = scratch.begin();
  // Value at fractional rank r, given that [from, end) holds the ranks from `from` on.
  auto at_rank = [&](double r, std::size_t from) {
    const std::size_t k = std::min(std::size_t(r), n - 1);
    std::nth_element(begin + std::ptrdiff_t(from), begin + std::ptrdiff_t(k), scratch.end());
    const double lo = scratch[k], t = r - double(k);
    if (k + 1 >= n || t <= 0.0) return std::pair{lo, k};
    const double hi = *std::min_element(begin + std::ptrdiff_t(k) + 1, scratch.end());
    return std::pair{lo + t * (hi - lo), k};
  };
  const auto [lo, k] = at_rank(p_low / 100.0 * double(n - 1), 0);
  const double hi = at_rank(p_high / 100.0 * double(n - 1), k).first;
  return {lo, hi};
}

void preprocess(float* pixels, const InputShape& shape, const PreprocessSpec& spec) {
  if (!spec.band_scale.empty() && spec.band_scale.size() != std::size_t(shape.channels))
    throw ConfigError(fmt::format("preprocess.band_scale: {} values for {} channels (give one per band or none)",
                                  spec.band_scale.size(), shape.channels));
  const std::size_t n = std::size_t(shape.height) * std::size_t(shape.width);
  const bool clip = spec.clip_low > 0.0 || spec.clip_high < 100.0;
  std::vector<float> scratch;
  for (int c = 0; c < shape.channels; ++c) {
    float* x = pixels + std::size_t(c) * n;
    const float scale = spec.band_scale.empty() ? 1.0f : float(spec.band_scale[std::size_t(c)]);
    for (std::size_t k = 0; k < n; ++k) x[k] = std::isfinite(x[k]) ? x[k] * scale : 0.0f;
    if (clip) {
      const auto [lo, hi] = percentiles(x, n, spec.clip_low, spec.clip_high, scratch);
      for (std::size_t k = 0; k < n; ++k) x[k] = std::clamp(x[k], float(lo), float(hi));
    }
    const float inv_soft = float(1.0 / spec.softening);
    switch (spec.stretch) {
      case Stretch::LINEAR:
        break;
      case Stretch::ASINH:
        for (std::size_t k = 0; k < n; ++k) x[k] = std::asinh(x[k] * inv_soft);
        break;
      case Stretch::SQRT:
        for (std::size_t k = 0; k < n; ++k) x[k] = std::copysign(std::sqrt(std::abs(x[k])), x[k]);
        break;
      case Stretch::LOG:
        for (std::size_t k = 0; k < n; ++k) x[k] = std::log10(1.0f + std::max(x[k], 0.0f) * inv_soft);
        break;
    }
    float lo = 0.0f, hi = 0.0f;
    switch (spec.normalisation) {
      case Normalisation::NONE:
        continue;
      case Normalisation::MINMAX: {
        const auto [mn, mx] = std::minmax_element(x, x + n);
        lo = *mn;
        hi = *mx;
        break;
      }
      case Normalisation::PERCENTILE: {
        const auto [plo, phi] = percentiles(x, n, spec.norm_low, spec.norm_high, scratch);
        lo = float(plo);
        hi = float(phi);
        break;
      }
    }
    if (!(hi > lo)) {
      std::fill(x, x + n, 0.0f);
      continue;
    }
    // A division (not a multiplication by 1 / range) maps hi to exactly 1; clamped so that
    // PERCENTILE clips its tails.
    const float range = hi - lo;
    for (std::size_t k = 0; k < n; ++k) x[k] = std::clamp((x[k] - lo) / range, 0.0f, 1.0f);
  }
}

}  // namespace lensforge::train
