#pragma once
// FFT convolution of images with a PSF kernel (FFTW, single precision), safe to call from many
// threads at once.
#include <memory>
#include <utility>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/optics/psf_kernel.hpp"

namespace lensforge {

/// Smallest n' >= n of the form 2^a 3^b 5^c 7^d (sizes FFTW transforms fastest); n >= 1.
int fft_friendly_size(int n);

/// Convolves images with one PsfKernel by real-to-complex FFTs, with the same result as
/// convolve_direct ('same' size, zero padding beyond the image, so flux spread past the border is
/// lost). The image is zero-padded to (rows + r) x (cols + r), r = kernel radius, rounded up by
/// fft_friendly_size: exactly enough for the circular convolution to equal the linear one on the
/// output pixels, since every tap then reads either an image pixel or padding. A kernel wider
/// than that wraps onto itself; the taps that share a slot only ever read padding, so the result
/// stays exact.
///
/// Per padded shape the convolver makes its FFTW plans once (under the process-wide FFTW planner
/// lock) and caches the kernel's transform; each calling thread gets its own fftwf_malloc'd work
/// buffers for that shape, kept until the convolver is destroyed, and runs the plans with
/// fftwf_execute_dft_r2c / _c2r. convolve() is therefore thread-safe; it locks only for the cache
/// lookup (and, on the first call for a new padded shape, while that shape is planned). Results
/// do not depend on the thread or on concurrency.
/// Float32 transforms: errors are ~1e-7 of the image's peak (times log of the size).
class FftConvolver {
 public:
  enum class Planning {
    /// FFTW_ESTIMATE: planning in ~1-10 ms per shape. The default.
    Estimate,
    /// FFTW_MEASURE: times candidate plans on the first use of each shape (0.1 s at 210x210,
    /// ~1 s at 640x640), for transforms ~15-40 % faster; worth it for long runs on one shape.
    /// The timings go into FFTW's process-wide wisdom, which later Estimate plans also use.
    Measure,
  };

  explicit FftConvolver(PsfKernel kernel, Planning planning = Planning::Estimate);
  ~FftConvolver();
  FftConvolver(FftConvolver&&) noexcept;
  FftConvolver& operator=(FftConvolver&&) noexcept;
  FftConvolver(const FftConvolver&) = delete;
  FftConvolver& operator=(const FftConvolver&) = delete;

  /// `out` = image convolved with the kernel, same size as `image`; `out` may be `image` itself.
  void convolve(const ImageF& image, ImageF& out) const;
  ImageF convolve(const ImageF& image) const;

  /// (rows, cols) of the FFT for an image of the given shape.
  std::pair<int, int> padded_shape(int rows, int cols) const;

  const PsfKernel& kernel() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lensforge
