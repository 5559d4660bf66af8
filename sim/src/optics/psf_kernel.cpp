#include "lensforge/sim/optics/psf_kernel.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

PsfKernel::PsfKernel(ImageF pixels, double pixel_scale) : pixels_(std::move(pixels)), pixel_scale_(pixel_scale) {
  const auto ny = pixels_.rows(), nx = pixels_.cols();
  if (ny != nx || ny % 2 == 0)
    throw ConfigError(fmt::format("PsfKernel: kernel image is {}x{} pixels; allowed: odd x odd and square", ny, nx));
  if (!(pixel_scale > 0.0) || !std::isfinite(pixel_scale))
    throw ConfigError(fmt::format("PsfKernel: pixel_scale = {} arcsec; allowed: finite and > 0", pixel_scale));
  double sum = 0.0;
  for (Eigen::Index i = 0; i < ny; ++i)
    for (Eigen::Index j = 0; j < nx; ++j) {
      const float v = pixels_(i, j);
      if (!std::isfinite(v))
        throw ConfigError(fmt::format("PsfKernel: pixel ({}, {}) is {}; allowed: finite values", i, j, v));
      sum += v;
    }
  if (!(sum > 0.0))
    throw ConfigError(fmt::format("PsfKernel: kernel pixels sum to {}; allowed: a positive sum", sum));
  for (Eigen::Index i = 0; i < ny; ++i)
    for (Eigen::Index j = 0; j < nx; ++j) pixels_(i, j) = static_cast<float>(pixels_(i, j) / sum);
}

}  // namespace lensforge
