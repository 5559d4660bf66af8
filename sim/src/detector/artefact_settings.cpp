#include "lensforge/sim/detector/artefact_settings.hpp"

#include <fmt/format.h>

#include "../core/range_check.hpp"

namespace lensforge {

using detail::check_closed;
using detail::check_open_closed;

namespace {
// The first non-empty message, or empty.
template <class... S>
std::string first_error(const S&... msgs) {
  std::string out;
  ((out.empty() && !msgs.empty() ? (void)(out = msgs) : (void)0), ...);
  return out;
}
}  // namespace

std::string CosmicRaySettings::validate() const {
  return first_error(check_closed("artefacts.cosmic_rays.rate", rate, 0.0, 1e4, "cm^-2 s^-1"),
                     check_open_closed("artefacts.cosmic_rays.thickness", thickness, 0.0, 2000.0, "um"),
                     check_open_closed("artefacts.cosmic_rays.charge_mpv", charge_mpv, 0.0, 1000.0, "e-/um"),
                     check_closed("artefacts.cosmic_rays.charge_width", charge_width, 0.0, 1000.0, "e-/um"));
}

std::string HotPixelSettings::validate() const {
  return first_error(check_closed("artefacts.hot_pixels.fraction", fraction, 0.0, 1.0),
                     check_open_closed("artefacts.hot_pixels.current", current, 0.0, 1e6, "e-/s"));
}

std::string DeadPixelSettings::validate() const {
  return check_closed("artefacts.dead_pixels.fraction", fraction, 0.0, 1.0);
}

std::string BadColumnSettings::validate() const {
  return check_closed("artefacts.bad_columns.fraction", fraction, 0.0, 1.0);
}

std::string SatelliteTrailSettings::validate() const {
  return first_error(check_closed("artefacts.satellite_trails.mean_count", mean_count, 0.0, 100.0),
                     check_open_closed("artefacts.satellite_trails.width", width, 0.0, 100.0, "arcsec"),
                     check_closed("artefacts.satellite_trails.brightness_min", brightness_min, 5.0, 40.0,
                                  "mag/arcsec^2"),
                     check_closed("artefacts.satellite_trails.brightness_max", brightness_max, brightness_min,
                                  40.0, "mag/arcsec^2"));
}

std::string NeighbourSettings::validate() const {
  return first_error(
      check_closed("artefacts.neighbours.mean_count", mean_count, 0.0, 1000.0),
      check_closed("artefacts.neighbours.star_fraction", star_fraction, 0.0, 1.0),
      check_closed("artefacts.neighbours.mag_min", mag_min, 0.0, 40.0, "mag"),
      check_closed("artefacts.neighbours.mag_max", mag_max, mag_min, 40.0, "mag"),
      check_closed("artefacts.neighbours.min_distance", min_distance, 0.0, 1e4, "arcsec"),
      check_open_closed("artefacts.neighbours.radius_min", radius_min, 0.0, 100.0, "arcsec"),
      check_closed("artefacts.neighbours.radius_max", radius_max, radius_min, 100.0, "arcsec"),
      check_closed("artefacts.neighbours.sersic_n_min", sersic_n_min, 0.5, 8.0),
      check_closed("artefacts.neighbours.sersic_n_max", sersic_n_max, sersic_n_min, 8.0),
      check_open_closed("artefacts.neighbours.q_min", q_min, 0.0, 1.0),
      check_open_closed("artefacts.neighbours.mask_threshold", mask_threshold, 0.0, 1e6));
}

std::string ArtefactSettings::validate() const {
  return first_error(cosmic_rays.validate(), hot_pixels.validate(), dead_pixels.validate(), bad_columns.validate(),
                     satellite_trails.validate(), neighbours.validate());
}

}  // namespace lensforge
