#include "lensforge/sim/optics/gaussian_kernel.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

std::string GaussianKernelParams::validate() const {
  if (!(fwhm > 0.0) || !std::isfinite(fwhm))
    return fmt::format("gaussian_kernel: fwhm = {} arcsec; allowed: finite and > 0", fwhm);
  if (!(pixel_scale > 0.0) || !std::isfinite(pixel_scale))
    return fmt::format("gaussian_kernel: pixel_scale = {} arcsec/pixel; allowed: finite and > 0", pixel_scale);
  if (!(outside_flux > 0.0 && outside_flux <= 0.1))
    return fmt::format("gaussian_kernel: outside_flux = {}; allowed: (0, 0.1]", outside_flux);
  if (max_radius < 1 || max_radius > 4096)
    return fmt::format("gaussian_kernel: max_radius = {} pixels; allowed: [1, 4096]", max_radius);
  if (radius < 0 || radius > max_radius)
    return fmt::format("gaussian_kernel: radius = {} pixels; allowed: 0 (automatic) or [1, max_radius = {}]",
                       radius, max_radius);
  return {};
}

namespace {

/// Fraction of a unit 1D Gaussian's flux in [lo, hi] (in units of sigma sqrt 2), accurate in the
/// far tail: uses erfc differences on whichever side the interval lies.
double gaussian_interval(double lo, double hi) {
  if (lo >= 0.0) return 0.5 * (std::erfc(lo) - std::erfc(hi));
  if (hi <= 0.0) return 0.5 * (std::erfc(-hi) - std::erfc(-lo));
  return 0.5 * (std::erf(hi) - std::erf(lo));
}

// The unnormalised 1-D pixel integrals of gaussian_kernel (2 radius + 1 of them).
std::vector<double> pixel_integrals(const GaussianKernelParams& p) {
  if (const std::string err = p.validate(); !err.empty()) throw ConfigError(err);
  const double sigma = p.fwhm / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  const double u = p.pixel_scale / (sigma * std::sqrt(2.0));  // one pixel in units of sigma sqrt 2

  int radius = p.radius;
  if (radius == 0) {
    // Outside the square of half-width a: 1 - erf(a)^2 = 2 c - c^2 with c = erfc(a).
    auto outside = [u](int r) {
      const double c = std::erfc((r + 0.5) * u);
      return 2.0 * c - c * c;
    };
    while (outside(radius) > p.outside_flux) {
      if (++radius > p.max_radius)
        throw ConfigError(fmt::format(
            "gaussian_kernel: enclosing 1 - {} of the flux needs a radius above max_radius = {} pixels "
            "(fwhm = {} arcsec, pixel_scale = {} arcsec/pixel); raise outside_flux or max_radius, or set radius",
            p.outside_flux, p.max_radius, p.fwhm, p.pixel_scale));
    }
  }

  const int n = 2 * radius + 1;
  std::vector<double> w(n);
  for (int k = 0; k < n; ++k) w[k] = gaussian_interval((k - radius - 0.5) * u, (k - radius + 0.5) * u);
  return w;
}

}  // namespace

PsfKernel gaussian_kernel(const GaussianKernelParams& p) {
  const std::vector<double> w = pixel_integrals(p);
  const int n = static_cast<int>(w.size());
  ImageF img(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) img(i, j) = static_cast<float>(w[i] * w[j]);
  return PsfKernel(std::move(img), p.pixel_scale);
}

std::vector<double> gaussian_kernel_taps(const GaussianKernelParams& p) {
  std::vector<double> w = pixel_integrals(p);
  double sum = 0.0;
  for (double v : w) sum += v;
  for (double& v : w) v /= sum;
  return w;
}

}  // namespace lensforge
