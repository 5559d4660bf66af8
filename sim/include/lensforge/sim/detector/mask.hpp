#pragma once
// Per-pixel bit mask of detector artefacts. Each artefact sets its bit exactly on the pixels it
// touched (see the effect's documentation in artefacts.hpp / noise_model.hpp for "touched").
#include <array>
#include <cstdint>
#include <string_view>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// One bit per artefact kind; a pixel may carry several.
enum class MaskBit : std::uint16_t {
  COSMIC_RAY = 1u << 0,  ///< received charge from a cosmic-ray track
  HOT = 1u << 1,         ///< hot pixel: extra dark current (HotPixelSettings::current)
  DEAD = 1u << 2,        ///< dead pixel: collects no charge (reads only read noise)
  BAD_COLUMN = 1u << 3,  ///< pixel of a dead column: collects no charge
  SATURATED = 1u << 4,   ///< charge reached the full-well capacity (clipped)
  BLEED = 1u << 5,       ///< received charge bled along its column from a saturated pixel
  SATELLITE = 1u << 6,   ///< received light from a satellite trail
  NEIGHBOUR = 1u << 7,   ///< an injected neighbour adds more than its mask threshold here
};

/// Every bit, in bit order.
inline constexpr std::array<MaskBit, 8> kAllMaskBits = {
    MaskBit::COSMIC_RAY, MaskBit::HOT,   MaskBit::DEAD,      MaskBit::BAD_COLUMN,
    MaskBit::SATURATED,  MaskBit::BLEED, MaskBit::SATELLITE, MaskBit::NEIGHBOUR};

/// Upper-case name of a bit, e.g. "COSMIC_RAY" (for FITS/HDF5 headers).
std::string_view mask_bit_name(MaskBit bit);

constexpr std::uint16_t bits(MaskBit b) { return static_cast<std::uint16_t>(b); }
constexpr std::uint16_t operator|(MaskBit a, MaskBit b) { return bits(a) | bits(b); }
constexpr bool has_bit(std::uint16_t value, MaskBit b) { return (value & bits(b)) != 0; }

/// Row-major mask with the same shape as its image: mask(i, j) is row i, column j.
using Mask = Image<std::uint16_t>;

}  // namespace lensforge
