#pragma once
// A point-spread function as a normalised pixel kernel.
#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// A PSF sampled on square pixels: an odd-sized square float32 image whose central pixel
/// (radius(), radius()) is the PSF centre, normalised so that its pixels sum to 1 (computed in
/// double; the float32 sum is 1 to within 1e-6). Pixel values are the fraction of a point source's
/// flux that lands in each pixel. Values may be slightly negative (interpolated or measured
/// kernels); the kernel is immutable once built.
///
/// Build one with gaussian_kernel(), moffat_kernel() or pixelated_kernel(), or directly from an
/// image that is already centred on its central pixel.
class PsfKernel {
 public:
  /// `pixels`: odd x odd square, finite values with a positive sum (it is divided by its sum);
  /// `pixel_scale`: arcsec per pixel, finite and > 0. Throws ConfigError naming the fault.
  PsfKernel(ImageF pixels, double pixel_scale);

  const ImageF& pixels() const { return pixels_; }
  double pixel_scale() const { return pixel_scale_; }  ///< arcsec per pixel
  int size() const { return static_cast<int>(pixels_.rows()); }  ///< pixels per side, odd
  int radius() const { return size() / 2; }  ///< pixels from the centre to the edge pixel

 private:
  ImageF pixels_;
  double pixel_scale_;
};

}  // namespace lensforge
