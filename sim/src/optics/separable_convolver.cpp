#include "lensforge/sim/optics/separable_convolver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

SeparableConvolver::SeparableConvolver(const std::vector<double>& taps, double pixel_scale)
    : pixel_scale_(pixel_scale) {
  if (taps.empty() || taps.size() % 2 == 0)
    throw ConfigError(fmt::format("SeparableConvolver: {} taps; allowed: an odd number", taps.size()));
  if (!(pixel_scale > 0.0) || !std::isfinite(pixel_scale))
    throw ConfigError(fmt::format("SeparableConvolver: pixel_scale = {} arcsec; allowed: finite and > 0", pixel_scale));
  double sum = 0.0;
  for (std::size_t k = 0; k < taps.size(); ++k) {
    if (!std::isfinite(taps[k]))
      throw ConfigError(fmt::format("SeparableConvolver: tap {} is {}; allowed: finite values", k, taps[k]));
    sum += taps[k];
  }
  if (!(sum > 0.0)) throw ConfigError(fmt::format("SeparableConvolver: taps sum to {}; allowed: a positive sum", sum));
  taps_double_.resize(taps.size());
  taps_.resize(taps.size());
  for (std::size_t k = 0; k < taps.size(); ++k) {
    taps_double_[k] = taps[k] / sum;
    taps_[k] = static_cast<float>(taps_double_[k]);
  }
}

SeparableConvolver::SeparableConvolver(const GaussianKernelParams& params)
    : SeparableConvolver(gaussian_kernel_taps(params), params.pixel_scale) {}

PsfKernel SeparableConvolver::kernel() const {
  const int n = static_cast<int>(taps_double_.size());
  ImageF k(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) k(i, j) = static_cast<float>(taps_double_[i] * taps_double_[j]);
  return PsfKernel(std::move(k), pixel_scale_);
}

ImageF SeparableConvolver::convolve(const ImageF& image) const {
  ImageF out;
  convolve(image, out);
  return out;
}

void SeparableConvolver::convolve(const ImageF& image, ImageF& out) const {
  const int rows = static_cast<int>(image.rows()), cols = static_cast<int>(image.cols());
  const int r = radius(), n = 2 * r + 1;
  const float* t = taps_.data();
  if (&out != &image) out.resize(rows, cols);
  if (rows == 0 || cols == 0) return;
  // pad: one input row with r zeros on either side. ring: the horizontal pass of the last n rows
  // (row s in slot s mod n). Output row i needs rows i - r .. i + r of the horizontal pass, which
  // read input rows up to i + r only, so writing it in place of input row i is safe.
  std::vector<float> pad(std::size_t(cols + 2 * r), 0.0f), ring(std::size_t(n) * std::size_t(cols));
  auto horizontal = [&](int s) {
    std::copy_n(image.row(s).data(), cols, pad.data() + r);
    float* h = ring.data() + std::size_t(s % n) * std::size_t(cols);
    // h[j] = sum_q t[q] image(s, j + r - q) = sum_q t[q] pad[j + 2r - q]
    const float* src = pad.data() + 2 * r;
    for (int j = 0; j < cols; ++j) h[j] = t[0] * src[j];
    for (int q = 1; q < n; ++q) {
      const float w = t[q];
      const float* sq = src - q;
      for (int j = 0; j < cols; ++j) h[j] += w * sq[j];
    }
  };
  int next = 0;  // next row of the horizontal pass to make
  for (int i = 0; i < rows; ++i) {
    const int last = std::min(i + r, rows - 1);
    for (; next <= last; ++next) horizontal(next);
    // out(i, j) = sum_p t[p] h(i + r - p, j) over the rows inside the image: p in [p0, p1].
    const int p0 = std::max(0, i + r - (rows - 1)), p1 = std::min(n - 1, i + r);
    float* o = out.row(i).data();
    const float* h0 = ring.data() + std::size_t((i + r - p0) % n) * std::size_t(cols);
    for (int j = 0; j < cols; ++j) o[j] = t[p0] * h0[j];
    for (int p = p0 + 1; p <= p1; ++p) {
      const float w = t[p];
      const float* hp = ring.data() + std::size_t((i + r - p) % n) * std::size_t(cols);
      for (int j = 0; j < cols; ++j) o[j] += w * hp[j];
    }
  }
}

}  // namespace lensforge
