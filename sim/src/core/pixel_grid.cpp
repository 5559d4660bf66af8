#include "lensforge/sim/core/pixel_grid.hpp"

#include <cmath>

namespace lensforge {

std::string PixelGrid::validate() const {
  if (nx < 1 || ny < 1) return "grid size must be at least 1x1 pixels";
  if (nx > 100000 || ny > 100000) return "grid size must be at most 100000 pixels per side";
  if (!(pixel_scale > 0.0) || !std::isfinite(pixel_scale)) return "pixel_scale must be > 0 arcsec";
  if (!std::isfinite(center_x) || !std::isfinite(center_y)) return "grid centre must be finite";
  return {};
}

}  // namespace lensforge
