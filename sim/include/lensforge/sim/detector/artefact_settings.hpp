#pragma once
// Per-band settings of the optional detector and sky artefacts (see artefacts.hpp for the
// models). Every effect is off unless `enabled`; the other defaults are generic values, and the
// survey presets in configs/surveys/ set the detector-specific ones (pixel size lives in Band).
// validate() messages start with the field's key path (e.g. "artefacts.cosmic_rays.rate"), name
// its value and the allowed range.
#include <string>

namespace lensforge {

/// Cosmic rays: tracks through the sensitive silicon, charge from a Landau-like law.
struct CosmicRaySettings {
  bool enabled = false;
  /// Events per cm^2 of detector per second, [0, 1e4]. About 5 in L2 / low-Earth orbit (HST and
  /// Euclid darks); about 0.02-0.03 on the ground (secondary muons, ~1 cm^-2 min^-1 at sea level).
  double rate = 5.0;
  /// Depth of the sensitive (depleted) silicon, micrometres, (0, 2000]. A track entering at
  /// zenith angle theta has path length thickness / cos(theta) and projected length
  /// thickness * tan(theta) on the pixel plane.
  double thickness = 40.0;
  /// Most probable charge per micrometre of path, electrons, (0, 1000]. Minimum-ionising
  /// particles in silicon: ~80 e-/um (Bichsel 1988, 3.6 eV per pair); less in thin layers.
  double charge_mpv = 75.0;
  /// Width of the energy-loss law per micrometre of path, electrons, [0, 1000]. Landau's xi for
  /// silicon is 0.1535 MeV cm^2/g * Z/A * rho = 17.8 eV/um = 4.9 e-/um (PDG, passage of particles).
  double charge_width = 5.0;
  std::string validate() const;
};

/// Hot pixels: each pixel independently with probability `fraction` gets extra dark current.
struct HotPixelSettings {
  bool enabled = false;
  double fraction = 1e-4;  ///< probability per pixel, [0, 1]
  double current = 1.0;    ///< extra dark current of a hot pixel, e-/s, (0, 1e6]
  std::string validate() const;
};

/// Dead pixels: each pixel independently with probability `fraction` collects no charge.
struct DeadPixelSettings {
  bool enabled = false;
  double fraction = 1e-4;  ///< probability per pixel, [0, 1]
  std::string validate() const;
};

/// Bad (dead) columns: each column independently with probability `fraction` collects no charge.
struct BadColumnSettings {
  bool enabled = false;
  double fraction = 1e-3;  ///< probability per column, [0, 1]
  std::string validate() const;
};

/// Satellite trails: straight streaks across the image with a Gaussian cross-section.
struct SatelliteTrailSettings {
  bool enabled = false;
  double mean_count = 0.1;       ///< mean number of trails per image (Poisson), [0, 100]
  double width = 1.0;            ///< FWHM of the cross-section, arcsec, (0, 100]
  double brightness_min = 20.0;  ///< brightest central surface brightness, AB mag/arcsec^2, [5, 40]
  double brightness_max = 24.0;  ///< faintest, AB mag/arcsec^2, [brightness_min, 40]
  std::string validate() const;
};

/// Neighbours: random stars (the band's PSF profile) or Sersic galaxies away from the centre.
struct NeighbourSettings {
  bool enabled = false;
  double mean_count = 1.0;       ///< mean number per image (Poisson), [0, 1000]
  double star_fraction = 0.5;    ///< probability that a neighbour is a star, [0, 1]
  double mag_min = 18.0;         ///< brightest total AB magnitude, [0, 40]
  double mag_max = 24.0;         ///< faintest total AB magnitude, [mag_min, 40]
  double min_distance = 3.0;     ///< arcsec from the image centre, [0, 1e4]
  double radius_min = 0.2;       ///< galaxy half-light radius range, arcsec, (0, radius_max]
  double radius_max = 1.5;       ///< arcsec, [radius_min, 100]
  double sersic_n_min = 0.5;     ///< galaxy Sersic index range, [0.5, sersic_n_max]
  double sersic_n_max = 4.0;     ///< [sersic_n_min, 8]
  double q_min = 0.3;            ///< smallest galaxy axis ratio (q uniform in [q_min, 1]), (0, 1]
  /// NEIGHBOUR is set where a neighbour adds at least this fraction of the band's sky level per
  /// pixel, (0, 1e6].
  double mask_threshold = 0.1;
  std::string validate() const;
};

struct ArtefactSettings {
  CosmicRaySettings cosmic_rays;
  HotPixelSettings hot_pixels;
  DeadPixelSettings dead_pixels;
  BadColumnSettings bad_columns;
  SatelliteTrailSettings satellite_trails;
  NeighbourSettings neighbours;
  /// Empty when valid, else the first failing field's message (key path first).
  std::string validate() const;
};

}  // namespace lensforge
