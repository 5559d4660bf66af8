#pragma once
// Internal pieces shared by add_noise() and observe().
#include <cstdint>

#include "lensforge/sim/detector/noise_model.hpp"

namespace lensforge::detail {

// Sub-stream tags of one observation's Rng. Fixed forever: changing one changes every image.
inline constexpr std::uint64_t kStreamRateArtefacts = 1;
inline constexpr std::uint64_t kStreamPoisson = 2;
inline constexpr std::uint64_t kStreamChargeArtefacts = 3;
inline constexpr std::uint64_t kStreamReadNoise = 4;

/// Throws ConfigError unless band and options are valid and the image is not empty.
void check_inputs(const ImageF& rate, const Band& band, const NoiseOptions& options);

/// Background subtraction, output unit and sigma map from the read-out counts and the
/// expectation; fills everything in Observation except `artefacts` and `saturation_lost`.
Observation finish_observation(const ImageD& counts, const ImageD& expected, Mask mask, const Band& band,
                               const NoiseOptions& options);

}  // namespace lensforge::detail
