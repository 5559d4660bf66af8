#pragma once
// A Scene is one fully specified lens system: cosmology, lens planes, lens light and sources.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/pixel_grid.hpp"
#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "lensforge/sim/lens/multi_plane.hpp"
#include "lensforge/sim/light/light_profile.hpp"

namespace lensforge {

/// A light component at a redshift. Light at or in front of the first lens plane is unlensed;
/// light behind a plane is seen through every plane in front of it.
struct LightComponent {
  LightProfile profile;
  double z = 0.0;  ///< redshift, >= 0
  /// AB magnitude per band name (colours). When a band is observed and has an entry here, the
  /// profile is rescaled to that band's total flux; otherwise its amplitude is used as it is
  /// (flux per arcsec^2 in the band's image unit, e-/s).
  std::map<std::string, double> magnitudes;
};

struct Scene {
  FlatLambdaCDM cosmology;
  std::vector<LensPlane> lens_planes;
  /// Redshift for which the planes' reduced deflections (theta_E) are defined. lenstronomy's
  /// default is the source redshift.
  double z_source_convention = 2.0;
  std::vector<LightComponent> lens_light;  ///< deflector light, written as the lens-light image
  std::vector<LightComponent> sources;     ///< background sources, written as the source image(s)
};

/// Gaussian PSF applied as lenstronomy does (scipy gaussian_filter: point-sampled separable
/// taps normalised to 1, radius int(truncate sigma + 1/2) pixels, border pixels repeated).
struct GaussianPsf {
  double fwhm = 0.1;       ///< arcsec, > 0
  double truncate = 5.0;   ///< kernel radius in units of sigma, > 0
};

struct RenderOptions {
  PixelGrid grid;                      ///< output pixels
  int supersampling = 1;               ///< s x s sub-pixels per pixel, [1, 32]
  std::optional<GaussianPsf> psf;      ///< none: no convolution
  /// Convolve on the supersampled grid before binning (lenstronomy supersampling_convolution).
  bool supersampling_convolution = false;
  /// Empty when valid, else a message naming the bad option.
  std::string validate() const;
};

}  // namespace lensforge
