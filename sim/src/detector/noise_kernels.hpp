#pragma once
// Internal: the per-pixel loops of the noise model (noise_kernels.cpp, compiled with -ffast-math
// so that they vectorise). Arrays of n pixels, row-major.
#include <cstddef>
#include <cstdint>

namespace lensforge::noise_kernels {

/// Expected electrons: e[k] = 0 where mask[k] & empty_bits, else max(rate[k] + background, 0) * t.
void expected(const float* rate, const std::uint16_t* mask, std::size_t n, std::uint16_t empty_bits,
              double background, double t, double* e);

/// expected(), and in the same pass sigma[k] = sqrt(e[k] + read_var) * to_out.
void expected_and_sigma(const float* rate, const std::uint16_t* mask, std::size_t n, std::uint16_t empty_bits,
                        double background, double t, double read_var, double to_out, double* e, float* sigma);

/// Read-out: image[k] = (c + read_sigma * z[k] - bkg_e) * to_out with c = 0 where
/// mask[k] & empty_bits, else counts[k]. z == nullptr: no read noise.
void read_out(const double* counts, const std::uint16_t* mask, const double* z, std::size_t n,
              std::uint16_t empty_bits, double read_sigma, double bkg_e, double to_out, float* image);

}  // namespace lensforge::noise_kernels
