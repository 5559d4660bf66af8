#pragma once
// Scene files: one lens system in YAML, with lenstronomy's profile type names and kwargs names so
// that a lenstronomy model ports line by line (each kwargs dict becomes one list entry):
//
//   cosmology: {H0: 70, Om0: 0.3}            # optional (km/s/Mpc, dimensionless)
//   z_source_convention: 2.0                  # optional; default: the largest source redshift
//   grid: {num_pix: 100, pixel_scale: 0.1, supersampling: 3}   # or nx, ny; center_x/center_y
//   psf: {type: GAUSSIAN, fwhm: 0.15, truncation: 5, supersampling_convolution: false}  # optional
//   magnitude_zero_point: 25.0                # optional: AB magnitude of 1 flux unit
//   flux_unit: electron/s                     # optional: what 1 flux unit is (FITS BUNIT); count/s
//   lens:          [{type: SIE, z: 0.5, theta_E: 1.2, e1: 0.1, e2: -0.05, center_x: 0, center_y: 0}]
//   lens_light:    [{type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, ...}]     # z: first lens plane
//   source_light:  [{type: SERSIC_ELLIPSE, z: 2.0, magnitude: 23.5, ...}]
//
// Mass types: SIE, SIS, EPL, NFW, POINT_MASS, SHEAR, CONVERGENCE (kwargs: the field names of
// mass/mass_profile.hpp; SHEAR and CONVERGENCE ra_0/dec_0 default to 0, all else is required).
// Light types: SERSIC, SERSIC_ELLIPSE, GAUSSIAN, GAUSSIAN_ELLIPSE, CLUMPY_SERSIC (Sersic keys plus
// `knots: [{dx, dy, sigma, flux}, ...]`), SPIRAL (Sersic keys plus n_arms, arm_amplitude,
// pitch_angle, r_arm, optional arm_phase) and RING (R_ring, sigma, e1, e2, center_x, center_y);
// light/light_profile.hpp gives their formulas. Lens entries at the same z form one lens plane.
//
// Brightness of a light entry (the rules live here; the example scenes explain them too):
//  - Every light entry gives exactly one of `amp` (lenstronomy's amplitude), `flux` (total flux)
//    or `magnitude` (AB, needs magnitude_zero_point); for CLUMPY_SERSIC they set the Sersic host,
//    the knots carry their own flux. This is the brightness of a plain render (no survey), in
//    flux units per pixel, and the reference amplitude of the entry's shape.
//  - Optional `magnitudes` give its colours for observations through a survey's bands
//    (`lensforge-sim render --survey`, SceneObserver): the AB magnitude of the whole entry (host
//    and knots) per band, for any survey
//        magnitudes: {VIS: 19.8, Y: 19.1, J: 18.8, H: 18.6}
//    or per survey (keyed by the survey file's `survey:` name, case ignored), so that one scene
//    serves several surveys:
//        magnitudes:
//          Euclid: {VIS: 19.8, Y: 19.1, J: 18.8, H: 18.6}
//          LSST: {u: 22.9, g: 21.5, r: 20.4, i: 19.9, z: 19.6, y: 19.4}
//    Band names are case-sensitive (Euclid's Y is not LSST's y). In a band with a magnitude the
//    entry keeps its shape (knots keep their share of the light) and is rescaled to that total.
//  - When a survey observes the scene (scene_for_survey): the magnitudes that apply are the flat
//    ones or that survey's group; each must name a band of the survey and every observed band
//    needs one. Groups for other surveys only are an error. An entry without `magnitudes` has the
//    same AB magnitude in every band (flat f_nu): the one amp/flux/magnitude gives through
//    magnitude_zero_point; without magnitude_zero_point its amplitude is taken as it is, in the
//    band's electrons per second.
//  - With a survey the scene's grid, psf and flux_unit are not used: each band has its own
//    pixels, PSF and output unit (the grid stays required, for plain renders).
//
// Hybrid scenes (arcs painted on a real cutout, render/hybrid.hpp):
//   cutout: {catalog: ../../catalogs/hybrid_cutouts.csv, name: ngc2274_z30_r0, band: VIS}
// catalog: a hybrid catalog (catalogs/README.md), relative to the scene file; name: its row; band:
// the row's band (optional when the name has one row). The cutout gives the grid (its pixels and
// pixel scale, centred; `grid:` may only restate num_pix/nx/ny/pixel_scale, and set
// supersampling, default 4), the PSF (the row's; no `psf:` key), the zero point for `magnitude` (the row's;
// magnitude_zero_point, if given, must agree) and the unit (electron/s; no other flux_unit).
// lens_light must be empty: the real pixels carry the lens light. Lens planes and sources are
// read as usual (theta_E as given).
//
// Every error is one ConfigError: "FILE:LINE: KEY.PATH ...: what was found; what is allowed".
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/render/scene.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

/// One per-band magnitude of a light entry, where the scene file gives it.
struct BandMagnitude {
  std::string survey;     ///< survey group it is given under; "" in the flat form (any survey)
  std::string band;       ///< band name, case-sensitive (e.g. VIS, Y, y)
  double magnitude = 0;   ///< AB magnitude of the entry's total light in the band, finite
  std::string key_path;   ///< e.g. "source_light[0].magnitudes.Euclid.VIS"
  int line = 0;           ///< 1-based line of the value
};

/// The `magnitudes` of one light entry (no entries when it gives none).
struct LightMagnitudes {
  std::string component;               ///< key path of the light entry, e.g. "lens_light[0]"
  int line = 0;                        ///< 1-based line of `magnitudes` (of the entry if none)
  std::vector<BandMagnitude> entries;  ///< in file order
};

/// The `cutout:` of a hybrid scene.
struct SceneCutout {
  std::string catalog;     ///< hybrid catalog, resolved against the scene file's folder
  std::string catalog_as_given;  ///< as written in the scene file
  int line = 0;            ///< 1-based line of `cutout:`
  HybridCutout cutout;     ///< the catalog row (name, band, pixels in e-/s, PSF, exposure time)
};

/// A parsed and validated scene file.
struct SceneFile {
  std::string path;                            ///< file name the scene came from (for messages)
  Scene scene;
  RenderOptions options;
  std::optional<double> magnitude_zero_point;  ///< AB magnitude of 1 flux unit, if given
  /// What 1 flux unit is, as an astropy/FITS unit string; pixel values are flux units per pixel.
  /// Default "count/s", lenstronomy's convention for amp (counts per second per arcsec^2).
  std::string flux_unit = "count/s";
  /// The `magnitudes` of scene.lens_light[i] and scene.sources[i] as written. The flat form is
  /// also in each LightComponent::magnitudes; the per-survey form only after scene_for_survey().
  std::vector<LightMagnitudes> lens_light_magnitudes;
  std::vector<LightMagnitudes> source_magnitudes;
  /// A hybrid scene's cutout (options.grid and options.psf are then the cutout's); none: a plain scene.
  std::optional<SceneCutout> cutout;
};

/// Reads and validates a scene file. Throws ConfigError (syntax, keys, values, ranges; the
/// message names the file, line and key path) or IoError (the file cannot be read).
SceneFile load_scene_yaml(const std::string& path);

/// Parses and validates scene YAML text; `source_name` stands for the file in messages.
SceneFile parse_scene_yaml(const std::string& yaml_text, const std::string& source_name);

/// The scene as a survey observes it: every light component's LightComponent::magnitudes set for
/// the bands `observed` (names of bands in `survey_bands`, which are one survey's) by the rules
/// above. Throws ConfigError "FILE:LINE: KEY.PATH: ..." for a magnitude of a band the survey
/// lacks (naming the survey's bands), an observed band without a magnitude, magnitudes for other
/// surveys only, or an observed name not in `survey_bands`.
Scene scene_for_survey(const SceneFile& file, const std::vector<Band>& survey_bands,
                       const std::vector<std::string>& observed);

}  // namespace lensforge
