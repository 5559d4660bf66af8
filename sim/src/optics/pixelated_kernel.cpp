#include "lensforge/sim/optics/pixelated_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/kernel_resampling.hpp"

namespace lensforge {

namespace {

constexpr int kMaxRadius = 4096;
constexpr double kCentroidTolerance = 1e-6;  // output pixels
constexpr int kMaxCorrections = 4;

/// Flux centroid (column, row) in pixel coordinates; the sum must be non-zero.
std::array<double, 2> centroid(const ImageD& img) {
  double s = 0.0, sx = 0.0, sy = 0.0;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j) {
      s += img(i, j);
      sx += img(i, j) * double(j);
      sy += img(i, j) * double(i);
    }
  return {sx / s, sy / s};
}

}  // namespace

std::string PixelatedKernelParams::validate() const {
  if (!(input_pixel_scale > 0.0) || !std::isfinite(input_pixel_scale))
    return fmt::format("pixelated_kernel: input_pixel_scale = {} arcsec/pixel; allowed: finite and > 0",
                       input_pixel_scale);
  if (!(pixel_scale >= 0.0) || !std::isfinite(pixel_scale))
    return fmt::format("pixelated_kernel: pixel_scale = {} arcsec/pixel; allowed: 0 (same as the input) or finite and > 0",
                       pixel_scale);
  if (radius < 0 || radius > kMaxRadius)
    return fmt::format("pixelated_kernel: radius = {} pixels; allowed: 0 (automatic) or [1, {}]", radius, kMaxRadius);
  return {};
}

PsfKernel pixelated_kernel(const ImageD& image, const PixelatedKernelParams& p) {
  if (const std::string err = p.validate(); !err.empty()) throw ConfigError(err);
  if (image.size() == 0) throw ConfigError("pixelated_kernel: the PSF image is empty; allowed: at least 1x1 pixels");
  ImageD img = image;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j) {
      double& v = img(i, j);
      if (!std::isfinite(v))
        throw ConfigError(fmt::format("pixelated_kernel: PSF image pixel ({}, {}) is {}; allowed: finite values", i, j, v));
      if (v < 0.0) {
        if (p.negative_pixels == NegativePixels::Reject)
          throw ConfigError(fmt::format(
              "pixelated_kernel: PSF image pixel ({}, {}) is {} < 0; allowed: >= 0 with negative_pixels = Reject", i, j, v));
        if (p.negative_pixels == NegativePixels::Clip) v = 0.0;
      }
    }
  const double flux = img.sum();
  if (!(flux > 0.0))
    throw ConfigError(fmt::format("pixelated_kernel: PSF image flux is {}; allowed: a positive sum", flux));

  const double in_scale = p.input_pixel_scale;
  const double out_scale = p.pixel_scale > 0.0 ? p.pixel_scale : in_scale;
  const double ratio = out_scale / in_scale;
  const auto [cx, cy] = centroid(img);

  int radius = p.radius;
  if (radius == 0) {
    // Farthest input pixel edge from the centroid plus the interpolation support, in input pixels.
    const double extent = std::max({cx + 0.5, img.cols() - 0.5 - cx, cy + 0.5, img.rows() - 0.5 - cy}) +
                          2.0 * std::max(1.0, ratio);
    const double r = std::ceil(extent / ratio);
    if (!(r <= kMaxRadius))
      throw ConfigError(fmt::format(
          "pixelated_kernel: the kernel holding the whole {}x{} image at pixel_scale = {} arcsec/pixel needs radius {} "
          "> {} pixels; set radius or a coarser pixel_scale",
          img.rows(), img.cols(), out_scale, r, kMaxRadius));
    radius = static_cast<int>(r);
  }

  ImageD k = resample_kernel_image(img, in_scale, out_scale, cx, cy, radius);
  for (int pass = 0; pass < kMaxCorrections; ++pass) {
    const auto [kx, ky] = centroid(k);
    if (std::max(std::abs(kx - radius), std::abs(ky - radius)) <= kCentroidTolerance) break;
    k = resample_kernel_image(k, out_scale, out_scale, kx, ky, radius);
  }
  return PsfKernel(k.cast<float>(), out_scale);
}

PsfKernel pixelated_kernel(const ImageF& image, const PixelatedKernelParams& p) {
  return pixelated_kernel(ImageD(image.cast<double>()), p);
}

}  // namespace lensforge
