// Per-pixel loops of the noise model (compiled with -ffast-math: sqrt and the selects vectorise).
#include "noise_kernels.hpp"

#include <algorithm>
#include <cmath>

namespace lensforge::noise_kernels {

namespace {

inline double expected_pixel(float rate, std::uint16_t mask, std::uint16_t empty_bits, double background, double t) {
  return (mask & empty_bits) ? 0.0 : std::max(double(rate) + background, 0.0) * t;
}

}  // namespace

void expected(const float* rate, const std::uint16_t* mask, std::size_t n, std::uint16_t empty_bits,
              double background, double t, double* e) {
  for (std::size_t k = 0; k < n; ++k) e[k] = expected_pixel(rate[k], mask[k], empty_bits, background, t);
}

void expected_and_sigma(const float* rate, const std::uint16_t* mask, std::size_t n, std::uint16_t empty_bits,
                        double background, double t, double read_var, double to_out, double* e, float* sigma) {
  for (std::size_t k = 0; k < n; ++k) {
    const double v = expected_pixel(rate[k], mask[k], empty_bits, background, t);
    e[k] = v;
    sigma[k] = float(std::sqrt(v + read_var) * to_out);
  }
}

void read_out(const double* counts, const std::uint16_t* mask, const double* z, std::size_t n,
              std::uint16_t empty_bits, double read_sigma, double bkg_e, double to_out, float* image) {
  if (z == nullptr) {
    for (std::size_t k = 0; k < n; ++k)
      image[k] = float((((mask[k] & empty_bits) ? 0.0 : counts[k]) - bkg_e) * to_out);
    return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const double charge = ((mask[k] & empty_bits) ? 0.0 : counts[k]) + read_sigma * z[k];
    image[k] = float((charge - bkg_e) * to_out);
  }
}

}  // namespace lensforge::noise_kernels
