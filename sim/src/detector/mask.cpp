#include "lensforge/sim/detector/mask.hpp"

namespace lensforge {

std::string_view mask_bit_name(MaskBit bit) {
  switch (bit) {
    case MaskBit::COSMIC_RAY: return "COSMIC_RAY";
    case MaskBit::HOT: return "HOT";
    case MaskBit::DEAD: return "DEAD";
    case MaskBit::BAD_COLUMN: return "BAD_COLUMN";
    case MaskBit::SATURATED: return "SATURATED";
    case MaskBit::BLEED: return "BLEED";
    case MaskBit::SATELLITE: return "SATELLITE";
    case MaskBit::NEIGHBOUR: return "NEIGHBOUR";
  }
  return "UNKNOWN";
}

}  // namespace lensforge
