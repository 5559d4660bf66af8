#include "lensforge/sim/optics/moffat_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

namespace {

// 4-point Gauss-Legendre nodes and weights on [-1, 1].
constexpr std::array<double, 4> kNodes = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                                          0.8611363115940526};
constexpr std::array<double, 4> kWeights = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                                            0.3478548451374538};
constexpr int kMaxSubcells = 64;

/// Integral of [1 + (x^2 + y^2)/alpha^2]^(-beta) over the unit-pixel square centred on (cx, cy),
/// all lengths in pixels, on m x m sub-cells of 4 x 4 Gauss-Legendre nodes.
double pixel_integral(double cx, double cy, double alpha, double beta, int m) {
  const double s = 1.0 / m, inv_a2 = 1.0 / (alpha * alpha);
  std::vector<double> xs(4 * m), ys(4 * m), ws(4 * m);
  for (int c = 0; c < m; ++c)
    for (int g = 0; g < 4; ++g) {
      const double off = -0.5 + (c + 0.5) * s + 0.5 * s * kNodes[g];
      xs[4 * c + g] = cx + off;
      ys[4 * c + g] = cy + off;
      ws[4 * c + g] = 0.5 * s * kWeights[g];
    }
  double acc = 0.0;
  for (int a = 0; a < 4 * m; ++a) {
    double row = 0.0;
    for (int b = 0; b < 4 * m; ++b) row += ws[b] * std::pow(1.0 + (xs[b] * xs[b] + ys[a] * ys[a]) * inv_a2, -beta);
    acc += ws[a] * row;
  }
  return acc;
}

}  // namespace

double MoffatKernelParams::alpha() const { return fwhm / (2.0 * std::sqrt(std::pow(2.0, 1.0 / beta) - 1.0)); }

std::string MoffatKernelParams::validate() const {
  if (!(fwhm > 0.0) || !std::isfinite(fwhm))
    return fmt::format("moffat_kernel: fwhm = {} arcsec; allowed: finite and > 0", fwhm);
  if (!(beta > 1.0 && beta <= 1000.0))
    return fmt::format("moffat_kernel: beta = {}; allowed: (1, 1000] (beta > 1 for a finite total flux)", beta);
  if (!(pixel_scale > 0.0) || !std::isfinite(pixel_scale))
    return fmt::format("moffat_kernel: pixel_scale = {} arcsec/pixel; allowed: finite and > 0", pixel_scale);
  if (!(outside_flux > 0.0 && outside_flux <= 0.1))
    return fmt::format("moffat_kernel: outside_flux = {}; allowed: (0, 0.1]", outside_flux);
  if (max_radius < 1 || max_radius > 4096)
    return fmt::format("moffat_kernel: max_radius = {} pixels; allowed: [1, 4096]", max_radius);
  if (radius < 0 || radius > max_radius)
    return fmt::format("moffat_kernel: radius = {} pixels; allowed: 0 (automatic) or [1, max_radius = {}]", radius,
                       max_radius);
  return {};
}

PsfKernel moffat_kernel(const MoffatKernelParams& p) {
  if (const std::string err = p.validate(); !err.empty()) throw ConfigError(err);
  const double alpha = p.alpha() / p.pixel_scale;  // pixels

  int radius = p.radius;
  if (radius == 0) {
    // Smallest circle radius a (pixels) with (1 + a^2/alpha^2)^(1 - beta) <= outside_flux.
    const double a = alpha * std::sqrt(std::pow(p.outside_flux, 1.0 / (1.0 - p.beta)) - 1.0);
    const double r = std::max(0.0, std::ceil(a - 0.5));
    if (!(r <= p.max_radius))
      throw ConfigError(fmt::format(
          "moffat_kernel: enclosing 1 - {} of the flux needs radius {} pixels > max_radius = {} "
          "(fwhm = {} arcsec, beta = {}, pixel_scale = {} arcsec/pixel); raise outside_flux or max_radius, or set radius",
          p.outside_flux, r, p.max_radius, p.fwhm, p.beta, p.pixel_scale));
    radius = static_cast<int>(r);
  }

  // Values on the octant 0 <= i <= j (offsets from the centre), mirrored to the eight symmetric
  // positions.
  const int n = 2 * radius + 1;
  const double scale = 1.0 / std::sqrt(p.beta);
  ImageF img(n, n);
  for (int i = 0; i <= radius; ++i)
    for (int j = i; j <= radius; ++j) {
      const double d = std::hypot(std::max(j - 0.5, 0.0), std::max(i - 0.5, 0.0));
      const double local = std::hypot(alpha, d) * scale;  // pixels
      const int m = static_cast<int>(std::clamp(std::ceil(2.0 / local), 1.0, double(kMaxSubcells)));
      const float v = static_cast<float>(pixel_integral(j, i, alpha, p.beta, m));
      for (int si : {-1, 1})
        for (int sj : {-1, 1}) {
          img(radius + si * i, radius + sj * j) = v;
          img(radius + si * j, radius + sj * i) = v;
        }
    }
  return PsfKernel(std::move(img), p.pixel_scale);
}

}  // namespace lensforge
