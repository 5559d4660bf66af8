#pragma once
// One interface for a band's PSF convolution, whatever the method behind it.
#include <variant>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/optics/separable_convolver.hpp"

namespace lensforge {

/// A PSF convolution: SeparableConvolver for separable kernels (Gaussian PSFs), FftConvolver for
/// any other (Moffat, pixelated). Both give the 'same'-size, zero-padded convolution of
/// convolve_direct, so callers need not know which one runs. Thread-safe like both.
class PsfConvolver {
 public:
  explicit PsfConvolver(SeparableConvolver convolver) : impl_(std::move(convolver)) {}
  explicit PsfConvolver(FftConvolver convolver) : impl_(std::move(convolver)) {}

  /// `out` = image convolved with the PSF, same size as `image`; `out` may be `image` itself.
  void convolve(const ImageF& image, ImageF& out) const {
    std::visit([&](const auto& c) { c.convolve(image, out); }, impl_);
  }
  ImageF convolve(const ImageF& image) const {
    ImageF out;
    convolve(image, out);
    return out;
  }

  /// True for the separable path.
  bool separable() const { return std::holds_alternative<SeparableConvolver>(impl_); }

 private:
  std::variant<SeparableConvolver, FftConvolver> impl_;
};

}  // namespace lensforge
