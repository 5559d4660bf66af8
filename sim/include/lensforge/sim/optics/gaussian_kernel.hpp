#pragma once
// Pixel-integrated circular Gaussian PSF kernel.
#include <string>
#include <vector>

#include "lensforge/sim/optics/psf_kernel.hpp"

namespace lensforge {

/// A circular Gaussian PSF, I(r) = exp(-r^2 / (2 sigma^2)) / (2 pi sigma^2) with
/// sigma = fwhm / (2 sqrt(2 ln 2)), integrated exactly over each pixel (erf differences; the
/// Gaussian is separable). Not lenstronomy's GAUSSIAN PSF, which samples the Gaussian at pixel
/// centres and repeats border pixels (see gaussian_filter_nearest in psf.hpp); the two differ at
/// the 1e-2 level for sub-pixel sigma.
///
/// Kernel size: 2 radius + 1 pixels per side. With radius = 0 the radius is the smallest one whose
/// square kernel, spanning +-(radius + 1/2) pixels, holds at least 1 - outside_flux of the flux:
/// 1 - erf((radius + 1/2) pixel_scale / (sigma sqrt 2))^2 <= outside_flux. The flux beyond the
/// kernel is dropped and the kernel renormalised to sum 1.
struct GaussianKernelParams {
  double fwhm = 0.1;            ///< arcsec, full width at half maximum, finite and > 0
  double pixel_scale = 0.1;     ///< arcsec per kernel pixel, finite and > 0
  double outside_flux = 1e-6;   ///< fraction of the flux allowed outside an automatic kernel, (0, 0.1]
  int radius = 0;               ///< pixels; 0: automatic from outside_flux; else [1, max_radius]
  int max_radius = 1024;        ///< pixels, largest radius allowed, [1, 4096]

  /// Empty when valid, else a message naming the parameter, its value and the allowed range.
  std::string validate() const;
};

/// Renders the kernel. Throws ConfigError if the parameters are invalid or the automatic radius
/// would exceed max_radius.
PsfKernel gaussian_kernel(const GaussianKernelParams& params);

/// The kernel's 1-D factor: the 2 radius + 1 pixel integrals of the Gaussian along one axis
/// (same radius rule as gaussian_kernel), normalised to sum 1 in double. gaussian_kernel(params)
/// is their outer product, taps[i] * taps[j], rounded to float. Throws like gaussian_kernel.
std::vector<double> gaussian_kernel_taps(const GaussianKernelParams& params);

}  // namespace lensforge
