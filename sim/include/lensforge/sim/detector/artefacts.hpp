#pragma once
// Detector and sky artefacts, each optional per band (Band::artefacts) and each recorded in the
// mask (detector/mask.hpp). They act where they happen physically:
//  - on the noiseless rate image (electrons/s per pixel), before photon noise: neighbours and
//    satellite trails add light, hot pixels add dark current, dead pixels and bad columns are
//    placed in the mask (the noise model then gives them no charge);
//  - on the collected charge (electrons, summed over the exposures), after the Poisson draw and
//    before saturation and read-out: cosmic rays.
// Every function draws only from the Rng it is given; apply_*_artefacts give each effect its own
// sub-stream (rng.split), so switching one effect on or off leaves the others' draws unchanged.
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/detector/artefact_settings.hpp"
#include "lensforge/sim/detector/mask.hpp"

namespace lensforge {

struct Band;

/// One cosmic-ray event. Pixel coordinates are continuous: pixel (row i, column j) covers
/// x in [j, j+1), y in [i, i+1).
struct CosmicRayHit {
  double x0 = 0, y0 = 0;    ///< entry point on the pixel plane (px)
  double x1 = 0, y1 = 0;    ///< exit point projected on the pixel plane (px); may lie outside
  double path_length = 0;   ///< track length through the sensitive layer, micrometres
  double charge = 0;        ///< charge liberated along the whole track, electrons
  double deposited = 0;     ///< part of `charge` that landed inside the image, electrons
};

/// One satellite trail: the line through (x, y) at angle `angle`.
struct SatelliteTrail {
  double x = 0, y = 0;             ///< a point of the line, arcsec (PixelGrid coordinates)
  double angle = 0;                ///< radians from +x, [0, pi)
  double width = 0;                ///< FWHM of the cross-section, arcsec
  double surface_brightness = 0;   ///< at the centre line, AB mag/arcsec^2
};

/// One injected neighbour.
struct Neighbour {
  bool star = false;        ///< star (band PSF profile) or galaxy (Sersic convolved with the PSF)
  double x = 0, y = 0;      ///< centre, arcsec (PixelGrid coordinates)
  double magnitude = 0;     ///< total AB magnitude
  double flux = 0;          ///< e-/s added inside the image (less than the total if clipped)
  double r_eff = 0;         ///< galaxy: half-light radius, arcsec (lenstronomy's R_sersic)
  double sersic_n = 0;      ///< galaxy: Sersic index
  double q = 1;             ///< galaxy: axis ratio
  double angle = 0;         ///< galaxy: major-axis angle, radians from +x
};

struct ArtefactReport {
  std::vector<CosmicRayHit> cosmic_rays;
  std::vector<SatelliteTrail> satellite_trails;
  std::vector<Neighbour> neighbours;
  int hot_pixels = 0;
  int dead_pixels = 0;
  int bad_columns = 0;
};

// ---- single effects -------------------------------------------------------------------------

/// Cosmic rays on `electrons` (charge summed over the exposures; same shape as `mask`). The
/// number of events is Poisson with mean rate * area * exposure_time, area = pixels *
/// (pixel_size 1e-4 cm)^2. Entry points are uniform over the image; directions are those of an
/// isotropic flux crossing a plane (cos(theta) = sqrt(U), azimuth uniform); the path through the
/// layer is thickness / cos(theta), its projection thickness * tan(theta). The charge is
/// path * (charge_mpv + charge_width * lambda) with lambda from Moyal's approximation to the
/// Landau law (lambda = -ln Z^2, Z standard normal; most probable value 0), floored at 0, and is
/// spread along the projected track in proportion to the length inside each pixel (a track
/// shorter than 1e-9 px leaves all its charge in the entry pixel). Charge falling outside the
/// image is dropped. COSMIC_RAY is set on exactly the pixels that received charge.
/// pixel_size in micrometres, exposure_time in seconds.
std::vector<CosmicRayHit> add_cosmic_rays(ImageD& electrons, Mask& mask, const CosmicRaySettings& s,
                                          double pixel_size, double exposure_time, Rng& rng);

/// Hot pixels on the rate image (e-/s): each pixel with probability s.fraction gains s.current
/// e-/s and gets HOT. Returns their number.
int add_hot_pixels(ImageF& rate, Mask& mask, const HotPixelSettings& s, Rng& rng);

/// Dead pixels: each pixel with probability s.fraction gets DEAD (no charge; see noise_model.hpp).
int add_dead_pixels(Mask& mask, const DeadPixelSettings& s, Rng& rng);

/// Bad columns: each column with probability s.fraction gets BAD_COLUMN on all its pixels.
int add_bad_columns(Mask& mask, const BadColumnSettings& s, Rng& rng);

/// Satellite trails on the rate image (e-/s): Poisson(mean_count) lines, each through a uniform
/// point of the image at a uniform angle, with central surface brightness uniform in
/// [brightness_min, brightness_max] mag/arcsec^2 (band zero point) and a Gaussian cross-section
/// of FWHM `width`, cut at 2 FWHM from the line. Each pixel gets the mean over 3x3 sub-pixel
/// centres; SATELLITE is set on exactly the pixels that received light.
std::vector<SatelliteTrail> add_satellite_trails(ImageF& rate, Mask& mask, const SatelliteTrailSettings& s,
                                                 const Band& band, Rng& rng);

/// Neighbours on the rate image (e-/s): Poisson(mean_count) objects at uniform positions at least
/// min_distance from the image centre, total magnitude uniform in [mag_min, mag_max]. A star has
/// the band PSF's profile (GAUSSIAN: exact pixel integrals; MOFFAT: 5x5 sub-pixel sampling; PIXEL:
/// a Gaussian of the PSF's fwhm). A galaxy is an elliptical Sersic (lenstronomy's convention:
/// R = sqrt(q x'^2 + y'^2/q), b_n = 1.9992 n - 0.3271, n, R_sersic, q, angle uniform in their
/// ranges), sampled at 4x4 sub-pixels, normalised analytically to its total flux and convolved
/// with a Gaussian of the PSF FWHM, on a stamp of radius 8 R_sersic + 3 FWHM (light beyond is not
/// added). NEIGHBOUR is set where one neighbour adds at least mask_threshold * band.sky_rate().
std::vector<Neighbour> add_neighbours(ImageF& rate, Mask& mask, const NeighbourSettings& s, const Band& band,
                                      Rng& rng);

// ---- a band's configured artefacts ----------------------------------------------------------

/// Every enabled effect of band.artefacts that acts before photon noise, in this order, each on
/// its own sub-stream: neighbours, satellite trails, hot pixels, dead pixels, bad columns.
/// `rate` is the noiseless image in e-/s per pixel; `mask` must have its shape.
ArtefactReport apply_rate_artefacts(ImageF& rate, Mask& mask, const Band& band, Rng& rng);

/// Every enabled effect that acts on the collected charge (cosmic rays, over the total exposure
/// time of the band), recorded into `report`.
void apply_charge_artefacts(ImageD& electrons, Mask& mask, const Band& band, Rng& rng, ArtefactReport& report);

}  // namespace lensforge
