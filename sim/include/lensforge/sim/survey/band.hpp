#pragma once
// One photometric band of one survey: pixel grid, photometric calibration, exposure, detector and
// sky, the PSF description and the optional artefacts. Images handed to the detector model are in
// electrons per second per pixel; a source of AB magnitude m gives flux(m) = 10^(-0.4 (m - zp))
// e-/s in total.
#include <optional>
#include <string>

#include "lensforge/sim/core/pixel_grid.hpp"
#include "lensforge/sim/detector/artefact_settings.hpp"
#include "lensforge/sim/survey/psf_spec.hpp"

namespace lensforge {

struct Band {
  std::string survey;          ///< survey name, e.g. "Euclid"
  std::string name;            ///< band name, e.g. "VIS"
  double pixel_scale = 0.0;    ///< arcsec per pixel, (0, 10]
  int nx = 0;                  ///< image columns, [1, 100000]
  int ny = 0;                  ///< image rows, [1, 100000]
  double zero_point = 0.0;     ///< AB magnitude of a source giving 1 e-/s in total, [0, 40]
  /// AB zero point used to turn the sky brightness into electrons, [0, 40]; unset: zero_point.
  /// Ground-based zero points include the atmosphere's extinction, which the sky's own light
  /// does not suffer (LSST's SMTN-002 converts the sky with the hardware-only zero point).
  std::optional<double> sky_zero_point;
  double exposure_time = 0.0;  ///< seconds per exposure, (0, 1e6]
  int n_exposures = 0;         ///< exposures summed into the image, [1, 100000]
  double gain = 0.0;           ///< electrons per ADU, (0, 1000]
  double read_noise = 0.0;     ///< electrons rms per pixel per exposure, [0, 1000]
  double sky_brightness = 0.0; ///< AB mag per arcsec^2, [10, 40]
  double dark_current = 0.0;   ///< electrons per second per pixel, [0, 1e4]
  double full_well = 0.0;      ///< electrons per pixel per exposure at saturation, (0, 1e9]
  double pixel_size = 0.0;     ///< physical pixel pitch, micrometres, (0, 1000] (cosmic rays)
  PsfSpec psf;
  ArtefactSettings artefacts;

  /// Total integration t = n_exposures * exposure_time, seconds.
  double total_exposure_time() const { return exposure_time * n_exposures; }
  /// Sky electrons per second per pixel: 10^(-0.4 (sky_brightness - sky zp)) * pixel_scale^2.
  double sky_rate() const;
  /// Expected background electrons per second per pixel: sky_rate() + dark_current.
  double background_rate() const { return sky_rate() + dark_current; }
  /// Electrons per second from a source of AB magnitude `mag`: 10^(-0.4 (mag - zero_point)).
  double flux(double mag) const;
  /// AB magnitude of a source giving `electrons_per_s` (> 0) electrons per second.
  double magnitude(double electrons_per_s) const;
  /// The band's pixel grid (centred on the optical axis).
  PixelGrid grid() const { return {nx, ny, pixel_scale, 0.0, 0.0}; }

  /// Empty when valid, else a message starting with the field's key path relative to the band
  /// (e.g. "exposure_time = -30 s: must be in (0, 1e+06]").
  std::string validate() const;
};

}  // namespace lensforge
