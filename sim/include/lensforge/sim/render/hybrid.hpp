#pragma once
// Hybrid images: simulated lensed arcs painted onto real cutouts of lens galaxies (Canameras et al.
// 2020). A hybrid catalog (CSV, catalogs/README.md) lists one cutout per row and band:
//   name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time
// file: FITS cutout in e-/s (path relative to the catalog's folder); pixel_scale arcsec/pixel or
// "header"; zero_point: AB magnitude of 1 e-/s; psf_fwhm: arcsec (Gaussian PSF of that band);
// z_lens and sigma_v (km/s; empty: the Faber-Jackson proxy, hybrid_sigma_v) give the SIS Einstein
// radius for a source redshift; exposure_time: s, for the Poisson noise of the painted arc.
// Optional columns:
//   psf_file, psf_hdu, psf_pixel_scale: a pixel PSF kernel (FITS, relative to the catalog's
//     folder; HDU index or EXTNAME, empty: the first image HDU; arcsec per kernel pixel, empty: the
//     cutout's). With psf_file, psf_fwhm may be empty or 0 and the kernel replaces the Gaussian.
//   magnitude: AB total magnitude of the deflector in this band (empty: measured on the cutout),
//     used for the Faber-Jackson sigma_v proxy when sigma_v is empty (hybrid_sigma_v).
//   split: e.g. train, test.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "lensforge/sim/render/scene.hpp"

namespace lensforge {

class FftConvolver;

struct HybridCutout {
  std::string name;            ///< cutout identity (written into the labels)
  std::string band;            ///< band name
  std::string file;            ///< resolved FITS path
  int line = 0;                ///< catalog line, for messages
  ImageD pixels;               ///< e-/s per pixel, the real image
  double pixel_scale = 0.0;    ///< arcsec/pixel
  double zero_point = 0.0;     ///< AB magnitude of 1 e-/s
  double psf_fwhm = 0.0;       ///< arcsec, > 0 (0 allowed when psf_kernel is set: unknown)
  double z_lens = 0.0;         ///< redshift, > 0
  /// km/s, velocity dispersion (> 0) from the catalog; none when the row leaves it empty: then
  /// hybrid_sigma_v derives it from `magnitude` (Faber-Jackson).
  std::optional<double> sigma_v;
  /// AB total magnitude of the cutout in this band: column `magnitude`, else measured on the
  /// cutout (zero_point - 2.5 log10 of the pixel sum after subtracting the median of the 4-pixel
  /// border); none when not given and the measured flux is not positive.
  std::optional<double> magnitude;
  bool magnitude_measured = false;  ///< true when `magnitude` was measured on the cutout
  double exposure_time = 0.0;  ///< s, > 0
  /// Pixel PSF of the band on the cutout's pixel grid (odd x odd square, sum 1) when the row names
  /// a FITS kernel (psf_file); empty: the Gaussian of psf_fwhm.
  std::optional<ImageD> psf_kernel;
  /// psf_kernel's FFT convolver, made once by load_hybrid_catalog and shared by copies of the row
  /// (hybrid_arc makes one per call for a hand-built cutout without it).
  std::shared_ptr<const FftConvolver> psf_convolver;
  std::string psf_file;        ///< resolved path of psf_file; "" when none
  std::string split;           ///< optional column `split` (e.g. train, test); "" when absent
};

/// Reads the catalog and every cutout. Throws ConfigError "CATALOG:LINE: row 'NAME': ..." naming the
/// row (missing file, wrong HDU, unknown pixel scale, bad or missing value, a bad PSF kernel, a row
/// with neither sigma_v nor a usable magnitude).
///
/// PSF kernel (psf_file): a 2-D FITS image, finite, with a positive sum, normalised to sum 1. An
/// odd x odd square kernel at the cutout's pixel scale is used as it is (pixel (r, r) is the PSF
/// centre; negative pixels are kept). Any other kernel (even or non-square sides, or
/// psf_pixel_scale different from the cutout's) goes through pixelated_kernel
/// (optics/pixelated_kernel.hpp): its flux centroid is moved onto the central pixel of an odd
/// square kernel at the cutout's scale by flux-conserving Keys resampling (negative pixels kept).
std::vector<HybridCutout> load_hybrid_catalog(const std::string& catalog_path);

/// Faber-Jackson proxy of the velocity dispersion (km/s) used for catalogs/example_lenses.csv:
/// M = -21 - 10 log10(sigma_v / 220 km/s), M = magnitude - DM(z_lens) with the distance modulus
/// DM = 5 log10(D_L / 10 pc) of `cosmo`, no k-correction; the result is clipped to
/// [kFaberJacksonSigmaMin, kFaberJacksonSigmaMax]. z_lens > 0, magnitude finite (AB).
inline constexpr double kFaberJacksonSigmaMin = 100.0;  ///< km/s
inline constexpr double kFaberJacksonSigmaMax = 400.0;  ///< km/s
double faber_jackson_sigma_v(double magnitude, double z_lens, const FlatLambdaCDM& cosmo);

/// The cutout's velocity dispersion (km/s): sigma_v when the catalog gives it, else
/// faber_jackson_sigma_v(magnitude, z_lens, cosmo). Throws ConfigError naming the cutout when it
/// has neither.
double hybrid_sigma_v(const HybridCutout& c, const FlatLambdaCDM& cosmo);

/// Einstein radius (arcsec) of the cutout's deflector as an SIS of hybrid_sigma_v(c, cosmo) for a
/// source at z_source (> z_lens).
double hybrid_theta_E(const HybridCutout& c, const FlatLambdaCDM& cosmo, double z_source);

/// The simulated part of a hybrid: an SIE (theta_E from hybrid_theta_E, ellipticity e1, e2) at the
/// cutout centre lensing `source` (flux in e-/s), on the cutout's pixel grid; no lens light (the
/// real pixels carry it). options.psf is the band's Gaussian, or empty when the cutout has a
/// psf_kernel (hybrid_arc applies the kernel after rendering).
struct HybridSystem {
  Scene scene;
  RenderOptions options;
  double theta_E = 0.0;  ///< arcsec
};
HybridSystem hybrid_system(const HybridCutout& c, const FlatLambdaCDM& cosmo, const LightComponent& source,
                           double e1 = 0.0, double e2 = 0.0, int supersampling = 4);

/// The noiseless lensed sources of `scene` on the cutout's grid (e-/s per pixel), convolved with
/// the cutout's PSF; `scene` has no lens light. With psf_kernel: rendered without PSF, then
/// convolved with the kernel by FftConvolver as the observation path does ('same' size, zero
/// padding: flux that the kernel spreads past the border is lost, the rest is kept). Without: the
/// renderer's Gaussian of psf_fwhm (lenstronomy's GAUSSIAN, border pixels repeated).
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
