#pragma once
// Pixel-integrated circular Moffat PSF kernel.
#include <string>

#include "lensforge/sim/optics/psf_kernel.hpp"

namespace lensforge {

/// A circular Moffat PSF (Moffat 1969; lenstronomy/GalSim convention),
///   I(r) = (beta - 1) / (pi alpha^2) [1 + (r/alpha)^2]^(-beta),
///   alpha = fwhm / (2 sqrt(2^(1/beta) - 1)),
/// integrated over each pixel by Gauss-Legendre quadrature (4 x 4 nodes on m x m sub-cells, with
/// m chosen per pixel so that a sub-cell is at most half the local scale of variation,
/// sqrt(alpha^2 + d^2) / sqrt(beta), d = distance from the centre to the pixel; m <= 64).
/// The quadrature error is below 1e-8 of the peak pixel for the ranges below.
///
/// Kernel size: 2 radius + 1 pixels per side. With radius = 0 the radius is the smallest one
/// whose inscribed circle, of radius (radius + 1/2) pixels, holds at least 1 - outside_flux of the
/// flux: [1 + ((radius + 1/2) pixel_scale / alpha)^2]^(1 - beta) <= outside_flux (conservative:
/// the square also holds its corners). The power-law wings make this large for small beta (for
/// beta = 2.5 and outside_flux = 1e-3, radius ~ 9.3 fwhm), hence the default of 1e-3 rather than
/// the Gaussian's 1e-6. The flux beyond the kernel is dropped and the kernel renormalised to 1.
struct MoffatKernelParams {
  double fwhm = 0.1;            ///< arcsec, full width at half maximum, finite and > 0
  double beta = 2.5;            ///< Moffat index, (1, 1000]; > 1 for a finite total flux
  double pixel_scale = 0.1;     ///< arcsec per kernel pixel, finite and > 0
  double outside_flux = 1e-3;   ///< fraction of the flux allowed outside an automatic kernel, (0, 0.1]
  int radius = 0;               ///< pixels; 0: automatic from outside_flux; else [1, max_radius]
  int max_radius = 1024;        ///< pixels, largest radius allowed, [1, 4096]

  /// Moffat scale radius alpha in arcsec.
  double alpha() const;

  /// Empty when valid, else a message naming the parameter, its value and the allowed range.
  std::string validate() const;
};

/// Renders the kernel. Throws ConfigError if the parameters are invalid or the automatic radius
/// would exceed max_radius.
PsfKernel moffat_kernel(const MoffatKernelParams& params);

}  // namespace lensforge
