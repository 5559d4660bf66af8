#pragma once
// Internal pieces shared by add_noise() and observe(), and by the stage functions of
// noise_model.hpp, so that the fused passes of the first two compute exactly what the stages do.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "lensforge/sim/detector/noise_model.hpp"

namespace lensforge::detail {

// Sub-stream tags of one observation's Rng. Fixed forever: changing one changes every image.
inline constexpr std::uint64_t kStreamRateArtefacts = 1;
inline constexpr std::uint64_t kStreamPoisson = 2;
inline constexpr std::uint64_t kStreamChargeArtefacts = 3;
inline constexpr std::uint64_t kStreamReadNoise = 4;

/// Mask bits of pixels that collect no charge.
inline constexpr std::uint16_t kEmptyBits = MaskBit::DEAD | MaskBit::BAD_COLUMN;

/// Draws n standard normals from `rng` in chunks, calling f(offset, z, count) for each: the same
/// values, in the same order, as one fill_standard_normal(rng, out, n).
template <class F>
void for_each_normal_chunk(Rng& rng, std::size_t n, F&& f) {
  if (n == 0) return;
  constexpr std::size_t kChunk = 512;  // even, so the chunks of one UniformLanes draw as one call
  UniformLanes lanes(rng);
  double z[kChunk];
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t m = std::min(kChunk, n - start);
    fill_standard_normal(lanes, z, m);
    f(start, static_cast<const double*>(z), m);
  }
}

/// Throws ConfigError unless band and options are valid and the image is not empty.
void check_inputs(const ImageF& rate, const Band& band, const NoiseOptions& options);

/// An Observation of rows x cols pixels with its unit, scale, zero point, exposure time and
/// background set for `band` and `options`; image and sigma allocated, mask empty.
Observation start_observation(const Band& band, const NoiseOptions& options, Eigen::Index rows, Eigen::Index cols);

/// One pass over the rate image: returns the expected electrons E (expected_electrons()) and
/// writes obs.sigma = sqrt(E + n_exp read_noise^2) / t * scale.
ImageD expose(const ImageF& rate, const Mask& mask, const Band& band, Observation& obs);

/// One pass over the collected charge: pixels with kEmptyBits in `mask` are emptied, read noise
/// is added (as add_read_noise with sigma sqrt(n_exp) read_noise, from `read`), the background
/// (sky + dark) t is subtracted if asked, and the result goes to obs.image in obs's unit.
void read_out(const ImageD& counts, const Mask& mask, const Band& band, const NoiseOptions& options, Rng& read,
              Observation& obs);

}  // namespace lensforge::detail
