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
// light/light_profile.hpp gives their formulas. Each light entry gives exactly one of `amp`
// (lenstronomy's amplitude), `flux` (total flux) or `magnitude` (AB, needs magnitude_zero_point);
// for CLUMPY_SERSIC they set the Sersic host, the knots carry their own flux.
// Lens entries at the same z form one lens plane.
//
// Every error is one ConfigError: "FILE:LINE: KEY.PATH ...: what was found; what is allowed".
#include <optional>
#include <string>

#include "lensforge/sim/render/scene.hpp"

namespace lensforge {

/// A parsed and validated scene file.
struct SceneFile {
  std::string path;                            ///< file name the scene came from (for messages)
  Scene scene;
  RenderOptions options;
  std::optional<double> magnitude_zero_point;  ///< AB magnitude of 1 flux unit, if given
  /// What 1 flux unit is, as an astropy/FITS unit string; pixel values are flux units per pixel.
  /// Default "count/s", lenstronomy's convention for amp (counts per second per arcsec^2).
  std::string flux_unit = "count/s";
};

/// Reads and validates a scene file. Throws ConfigError (syntax, keys, values, ranges; the
/// message names the file, line and key path) or IoError (the file cannot be read).
SceneFile load_scene_yaml(const std::string& path);

/// Parses and validates scene YAML text; `source_name` stands for the file in messages.
SceneFile parse_scene_yaml(const std::string& yaml_text, const std::string& source_name);

}  // namespace lensforge
