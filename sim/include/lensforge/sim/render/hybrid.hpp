#pragma once
// Hybrid images: simulated lensed arcs painted onto real cutouts of lens galaxies (Canameras et al.
// 2020). A hybrid catalog (CSV, catalogs/README.md) lists one cutout per row and band:
//   name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time
// file: FITS cutout in e-/s (path relative to the catalog's folder); pixel_scale arcsec/pixel or
// "header"; zero_point: AB magnitude of 1 e-/s; psf_fwhm: arcsec (Gaussian PSF of that band);
// z_lens and sigma_v (km/s) give the SIS Einstein radius for a source redshift; exposure_time: s,
// for the Poisson noise of the painted arc.
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "lensforge/sim/render/scene.hpp"

namespace lensforge {

struct HybridCutout {
  std::string name;            ///< cutout identity (written into the labels)
  std::string band;            ///< band name
  std::string file;            ///< resolved FITS path
  int line = 0;                ///< catalog line, for messages
  ImageD pixels;               ///< e-/s per pixel, the real image
  double pixel_scale = 0.0;    ///< arcsec/pixel
  double zero_point = 0.0;     ///< AB magnitude of 1 e-/s
  double psf_fwhm = 0.0;       ///< arcsec, > 0
  double z_lens = 0.0;         ///< redshift, > 0
  double sigma_v = 0.0;        ///< km/s, velocity dispersion, > 0
  double exposure_time = 0.0;  ///< s, > 0
  /// Pixel PSF of the band on the cutout's pixel grid (odd size, sum 1) when the row names a FITS
  /// kernel; empty: the Gaussian of psf_fwhm.
  std::optional<ImageD> psf_kernel;
  std::string split;           ///< optional column `split` (e.g. train, test); "" when absent
};

/// Reads the catalog and every cutout. Throws ConfigError "CATALOG:LINE: row 'NAME': ..." naming the
/// row (missing file, wrong HDU, unknown pixel scale, bad or missing value).
std::vector<HybridCutout> load_hybrid_catalog(const std::string& catalog_path);

/// Einstein radius (arcsec) of the cutout's deflector as an SIS for a source at z_source (> z_lens).
double hybrid_theta_E(const HybridCutout& c, const FlatLambdaCDM& cosmo, double z_source);

/// The simulated part of a hybrid: an SIE (theta_E from hybrid_theta_E, ellipticity e1, e2) at the
/// cutout centre lensing `source` (flux in e-/s), on the cutout's pixel grid, convolved with the
/// band's Gaussian PSF; no lens light (the real pixels carry it).
struct HybridSystem {
  Scene scene;
  RenderOptions options;
  double theta_E = 0.0;  ///< arcsec
};
HybridSystem hybrid_system(const HybridCutout& c, const FlatLambdaCDM& cosmo, const LightComponent& source,
                           double e1 = 0.0, double e2 = 0.0, int supersampling = 4);

/// The noiseless lensed sources of `scene` on the cutout's grid (e-/s per pixel), convolved with
/// the cutout's PSF (psf_kernel, else the Gaussian of psf_fwhm); `scene` has no lens light.
ImageF hybrid_arc(const HybridCutout& c, const Scene& scene, int supersampling);

/// cutout + Poisson(arc * exposure_time) / exposure_time (arc in e-/s per pixel, noiseless). A
/// pixel where the arc is exactly 0 is copied bit for bit, so a zero-flux arc (a negative) leaves
/// the cutout unchanged.
ImageD paint_arc(const ImageD& cutout, const ImageF& arc, double exposure_time, Rng& rng);

/// Renders the system's source and paints it on the cutout (the whole hybrid pipeline).
struct HybridImage {
  ImageD image;     ///< e-/s, real pixels + noisy arc
  ImageF arc;       ///< e-/s, noiseless painted arc (PSF-convolved)
  double theta_E = 0.0;
};
HybridImage render_hybrid(const HybridCutout& c, const FlatLambdaCDM& cosmo, const LightComponent& source,
                          Rng& rng, double e1 = 0.0, double e2 = 0.0, int supersampling = 4);

}  // namespace lensforge
