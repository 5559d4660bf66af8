#include "lensforge/sim/survey/band.hpp"

#include <cmath>

#include "../core/range_check.hpp"

namespace lensforge {

using detail::check_closed;
using detail::check_open_closed;

double Band::sky_rate() const {
  const double zp = sky_zero_point.value_or(zero_point);
  return std::pow(10.0, -0.4 * (sky_brightness - zp)) * pixel_scale * pixel_scale;
}

double Band::flux(double mag) const { return std::pow(10.0, -0.4 * (mag - zero_point)); }

double Band::magnitude(double electrons_per_s) const { return zero_point - 2.5 * std::log10(electrons_per_s); }

std::string Band::validate() const {
  if (survey.empty()) return "survey is empty: a band needs its survey's name";
  if (name.empty()) return "name is empty: a band needs a name";
  const std::string msgs[] = {
      check_open_closed("pixel_scale", pixel_scale, 0.0, 10.0, "arcsec/px"),
      check_closed("nx", nx, 1, 100000, "px"),
      check_closed("ny", ny, 1, 100000, "px"),
      check_closed("zero_point", zero_point, 0.0, 40.0, "mag"),
      sky_zero_point ? check_closed("sky_zero_point", *sky_zero_point, 0.0, 40.0, "mag") : std::string(),
      check_open_closed("exposure_time", exposure_time, 0.0, 1e6, "s"),
      check_closed("n_exposures", n_exposures, 1, 100000),
      check_open_closed("gain", gain, 0.0, 1000.0, "e-/ADU"),
      check_closed("read_noise", read_noise, 0.0, 1000.0, "e-"),
      check_closed("sky_brightness", sky_brightness, 10.0, 40.0, "mag/arcsec^2"),
      check_closed("dark_current", dark_current, 0.0, 1e4, "e-/s"),
      check_open_closed("full_well", full_well, 0.0, 1e9, "e-"),
      check_open_closed("pixel_size", pixel_size, 0.0, 1000.0, "um"),
      psf.validate(),
      artefacts.validate(),
  };
  for (const auto& m : msgs)
    if (!m.empty()) return m;
  return {};
}

}  // namespace lensforge
