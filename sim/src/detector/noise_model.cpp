#include "lensforge/sim/detector/noise_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../core/range_check.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/survey/band.hpp"
#include "noise_internal.hpp"

namespace lensforge {

std::string_view output_unit_name(OutputUnit u) {
  switch (u) {
    case OutputUnit::ELECTRONS_PER_S: return "e-/s";
    case OutputUnit::ADU: return "ADU";
    case OutputUnit::ZERO_POINT_FLUX: return "flux";
  }
  return "unknown";
}

std::string NoiseOptions::validate() const {
  return detail::check_closed("flux_zero_point", flux_zero_point, 0.0, 40.0, "mag");
}

ImageD expected_electrons(const ImageF& rate, const Band& band, const Mask& mask) {
  const double t = band.total_exposure_time(), bkg = band.background_rate();
  constexpr std::uint16_t kEmpty = MaskBit::DEAD | MaskBit::BAD_COLUMN;
  ImageD e(rate.rows(), rate.cols());
  const float* r = rate.data();
  const std::uint16_t* m = mask.data();
  double* out = e.data();
  for (Eigen::Index k = 0; k < e.size(); ++k)
    out[k] = (m[k] & kEmpty) ? 0.0 : std::max(double(r[k]) + bkg, 0.0) * t;
  return e;
}

void sample_poisson(ImageD& electrons, Rng& rng) {
  sample_poisson_inplace(rng, electrons.data(), std::size_t(electrons.size()));
}

double saturate_and_bleed(ImageD& electrons, Mask& mask, double capacity) {
  const Eigen::Index ny = electrons.rows(), nx = electrons.cols();
  double lost = 0.0;
  for (Eigen::Index j = 0; j < nx; ++j) {
    for (Eigen::Index i = 0; i < ny; ++i) {
      const double excess = electrons(i, j) - capacity;
      if (!(excess > 0.0)) continue;
      electrons(i, j) = capacity;
      // Half of the excess walks up the column (decreasing row), half down, each filling pixels
      // to capacity. Pixels already over capacity further on shed their own excess when reached.
      double carry[2] = {0.5 * excess, excess - 0.5 * excess};
      const Eigen::Index step[2] = {-1, +1};
      for (int d = 0; d < 2; ++d) {
        for (Eigen::Index k = i + step[d]; carry[d] > 0.0 && k >= 0 && k < ny; k += step[d]) {
          const double room = capacity - electrons(k, j);
          if (room <= 0.0) continue;
          const double add = std::min(room, carry[d]);
          electrons(k, j) += add;
          carry[d] -= add;
          mask(k, j) |= bits(MaskBit::BLEED);
        }
        lost += carry[d];
      }
    }
    for (Eigen::Index i = 0; i < ny; ++i)
      if (electrons(i, j) >= capacity) mask(i, j) |= bits(MaskBit::SATURATED);
  }
  return lost;
}

void add_read_noise(ImageD& electrons, double sigma, Rng& rng) {
  if (!(sigma > 0.0)) return;
  constexpr std::size_t kChunk = 512;  // even: the chunks draw as one fill_standard_normal call
  double z[kChunk];
  double* p = electrons.data();
  const std::size_t n = std::size_t(electrons.size());
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t m = std::min(kChunk, n - start);
    fill_standard_normal(rng, z, m);
    for (std::size_t k = 0; k < m; ++k) p[start + k] += sigma * z[k];
  }
}

namespace detail {

void check_inputs(const ImageF& rate, const Band& band, const NoiseOptions& options) {
  if (auto m = band.validate(); !m.empty())
    throw ConfigError(fmt::format("band {} {}: {}", band.survey, band.name, m));
  if (auto m = options.validate(); !m.empty()) throw ConfigError("noise options: " + m);
  if (rate.size() == 0) throw ConfigError("noise model: the input image is empty");
}

Observation finish_observation(const ImageD& counts, const ImageD& expected, Mask mask, const Band& band,
                               const NoiseOptions& options) {
  Observation obs;
  const double t = band.total_exposure_time();
  obs.exposure_time = t;
  obs.unit = options.unit;
  switch (options.unit) {
    case OutputUnit::ELECTRONS_PER_S:
      obs.scale = 1.0;
      obs.zero_point = band.zero_point;
      break;
    case OutputUnit::ADU:
      obs.scale = t / band.gain;
      obs.zero_point = band.zero_point + 2.5 * std::log10(t / band.gain);
      break;
    case OutputUnit::ZERO_POINT_FLUX:
      obs.scale = std::pow(10.0, -0.4 * (band.zero_point - options.flux_zero_point));
      obs.zero_point = options.flux_zero_point;
      break;
  }
  const double bkg_e = options.subtract_background ? band.background_rate() * t : 0.0;
  obs.background = band.background_rate() * obs.scale;
  const double to_out = obs.scale / t, read_var = band.n_exposures * band.read_noise * band.read_noise;
  obs.image.resize(counts.rows(), counts.cols());
  obs.sigma.resize(counts.rows(), counts.cols());
  const double *c = counts.data(), *e = expected.data();
  float *img = obs.image.data(), *sig = obs.sigma.data();
  for (Eigen::Index k = 0; k < counts.size(); ++k) {
    img[k] = float((c[k] - bkg_e) * to_out);
    sig[k] = float(std::sqrt(e[k] + read_var) * to_out);
  }
  obs.mask = std::move(mask);
  return obs;
}

}  // namespace detail

Observation add_noise(const ImageF& rate, const Band& band, Rng& rng, const NoiseOptions& options) {
  detail::check_inputs(rate, band, options);
  Mask mask = Mask::Zero(rate.rows(), rate.cols());
  const ImageD expected = expected_electrons(rate, band, mask);
  ImageD counts = expected;
  Rng poisson = rng.split(detail::kStreamPoisson), read = rng.split(detail::kStreamReadNoise);
  sample_poisson(counts, poisson);
  const double lost = options.saturation ? saturate_and_bleed(counts, mask, band.n_exposures * band.full_well) : 0.0;
  add_read_noise(counts, std::sqrt(double(band.n_exposures)) * band.read_noise, read);
  Observation obs = detail::finish_observation(counts, expected, std::move(mask), band, options);
  obs.saturation_lost = lost;
  return obs;
}

}  // namespace lensforge
