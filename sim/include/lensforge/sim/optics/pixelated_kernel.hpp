#pragma once
// PSF kernel from an arbitrary image (a measured or modelled PSF, e.g. read from FITS).
#include <string>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/optics/psf_kernel.hpp"

namespace lensforge {

/// What pixelated_kernel does with negative input pixels (noise in stacked stars, residuals of a
/// background subtraction).
enum class NegativePixels {
  Clip,    ///< set them to 0 before anything else (default: the centroid and flux stay robust)
  Keep,    ///< keep them (a model whose negative lobes are meant); they weigh in the centroid
  Reject,  ///< throw ConfigError naming the first negative pixel
};

/// Turning an image into a PsfKernel:
///  1. The image (any size, odd or even, square or not, >= 1x1) must be finite; negative pixels
///     are handled as `negative_pixels` says; the remaining flux must be positive.
///  2. Its flux centroid (sum v x / sum v, in pixel coordinates) becomes the centre of the
///     central pixel of an odd square kernel at `pixel_scale`, by resample_kernel_image (Keys
///     cubic interpolation, a = -1/2, flux conserving; see kernel_resampling.hpp). Where that
///     resampling does not move the centroid exactly (non-integer upsampling ratios, truncation),
///     up to four corrective sub-pixel shifts at the output scale put it on the centre to 1e-6 px.
///  3. The kernel radius is `radius`, or with radius = 0 the smallest that holds the whole input
///     and the interpolation support (2 pixels of the coarser scale) around the centroid. Flux
///     beyond the radius is dropped; the kernel is normalised to sum 1.
/// The result may hold small negative values from the cubic overshoot, even with Clip: removing
/// them would break the flux and moment preservation.
struct PixelatedKernelParams {
  double input_pixel_scale = 0.1;  ///< arcsec per pixel of the input image, finite and > 0
  double pixel_scale = 0.0;        ///< arcsec per kernel pixel; 0: input_pixel_scale; else finite and > 0
  NegativePixels negative_pixels = NegativePixels::Clip;
  int radius = 0;                  ///< kernel pixels; 0: automatic (whole input); else [1, 4096]

  /// Empty when valid, else a message naming the parameter, its value and the allowed range.
  std::string validate() const;
};

/// Builds the kernel. Throws ConfigError for invalid parameters, an empty or non-finite image, a
/// negative pixel under Reject, no positive flux, or an automatic radius above 4096 pixels.
PsfKernel pixelated_kernel(const ImageD& image, const PixelatedKernelParams& params);
PsfKernel pixelated_kernel(const ImageF& image, const PixelatedKernelParams& params);

}  // namespace lensforge
