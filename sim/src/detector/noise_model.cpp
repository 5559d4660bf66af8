#include "lensforge/sim/detector/noise_model.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "../core/range_check.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/survey/band.hpp"
#include "noise_internal.hpp"
#include "noise_kernels.hpp"

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
  ImageD e(rate.rows(), rate.cols());
  noise_kernels::expected(rate.data(), mask.data(), std::size_t(e.size()), detail::kEmptyBits, bkg, t, e.data());
  return e;
}

void sample_poisson(ImageD& electrons, Rng& rng) {
  sample_poisson_inplace(rng, electrons.data(), std::size_t(electrons.size()));
}

double saturate_and_bleed(ImageD& electrons, Mask& mask, double capacity) {
  const Eigen::Index ny = electrons.rows(), nx = electrons.cols();
  // Columns are independent; only those holding a pixel over capacity need the column walk. A
  // row-major scan finds them (the image is row-major, so a column walk is a strided one).
  std::vector<unsigned char> over(std::size_t(nx), 0);
  for (Eigen::Index i = 0; i < ny; ++i) {
    const double* row = electrons.row(i).data();
    for (Eigen::Index j = 0; j < nx; ++j) over[j] |= row[j] > capacity;
  }
  double lost = 0.0;
  for (Eigen::Index j = 0; j < nx; ++j) {
    if (!over[j]) continue;
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
  }
  const double* e = electrons.data();
  std::uint16_t* m = mask.data();
  for (Eigen::Index k = 0; k < electrons.size(); ++k)
    m[k] |= e[k] >= capacity ? bits(MaskBit::SATURATED) : std::uint16_t(0);
  return lost;
}

void add_read_noise(ImageD& electrons, double sigma, Rng& rng) {
  if (!(sigma > 0.0)) return;
  double* p = electrons.data();
  detail::for_each_normal_chunk(rng, std::size_t(electrons.size()), [&](std::size_t start, const double* z, std::size_t m) {
    for (std::size_t k = 0; k < m; ++k) p[start + k] += sigma * z[k];
  });
}

namespace detail {

void check_inputs(const ImageF& rate, const Band& band, const NoiseOptions& options) {
  if (auto m = band.validate(); !m.empty())
    throw ConfigError(fmt::format("band {} {}: {}", band.survey, band.name, m));
  if (auto m = options.validate(); !m.empty()) throw ConfigError("noise options: " + m);
  if (rate.size() == 0) throw ConfigError("noise model: the input image is empty");
}

}  // namespace detail

OutputScale output_scale(const Band& band, const NoiseOptions& options) {
  const double t = band.total_exposure_time();
  switch (options.unit) {
    case OutputUnit::ADU:
      return {t / band.gain, band.zero_point + 2.5 * std::log10(t / band.gain)};
    case OutputUnit::ZERO_POINT_FLUX:
      return {std::pow(10.0, -0.4 * (band.zero_point - options.flux_zero_point)), options.flux_zero_point};
    case OutputUnit::ELECTRONS_PER_S:
      break;
  }
  return {1.0, band.zero_point};
}

namespace detail {

Observation start_observation(const Band& band, const NoiseOptions& options, Eigen::Index rows, Eigen::Index cols) {
  Observation obs;
  const double t = band.total_exposure_time();
  obs.exposure_time = t;
  obs.unit = options.unit;
  const OutputScale out = output_scale(band, options);
  obs.scale = out.scale;
  obs.zero_point = out.zero_point;
  obs.background = band.background_rate() * obs.scale;
  obs.image.resize(rows, cols);
  obs.sigma.resize(rows, cols);
  return obs;
}

ImageD expose(const ImageF& rate, const Mask& mask, const Band& band, Observation& obs) {
  const double t = band.total_exposure_time(), bkg = band.background_rate();
  const double to_out = obs.scale / t, read_var = band.n_exposures * band.read_noise * band.read_noise;
  ImageD e(rate.rows(), rate.cols());
  noise_kernels::expected_and_sigma(rate.data(), mask.data(), std::size_t(e.size()), kEmptyBits, bkg, t, read_var,
                                    to_out, e.data(), obs.sigma.data());
  return e;
}

void read_out(const ImageD& counts, const Mask& mask, const Band& band, const NoiseOptions& options, Rng& read,
              Observation& obs) {
  const double t = band.total_exposure_time();
  const double bkg_e = options.subtract_background ? band.background_rate() * t : 0.0;
  const double to_out = obs.scale / t, sigma = std::sqrt(double(band.n_exposures)) * band.read_noise;
  const std::size_t n = std::size_t(counts.size());
  if (!(sigma > 0.0)) {
    noise_kernels::read_out(counts.data(), mask.data(), nullptr, n, kEmptyBits, 0.0, bkg_e, to_out, obs.image.data());
    return;
  }
  for_each_normal_chunk(read, n, [&](std::size_t start, const double* z, std::size_t len) {
    noise_kernels::read_out(counts.data() + start, mask.data() + start, z, len, kEmptyBits, sigma, bkg_e, to_out,
                            obs.image.data() + start);
  });
}

}  // namespace detail

Observation add_noise(const ImageF& rate, const Band& band, Rng& rng, const NoiseOptions& options) {
  detail::check_inputs(rate, band, options);
  Mask mask = Mask::Zero(rate.rows(), rate.cols());
  Observation obs = detail::start_observation(band, options, rate.rows(), rate.cols());
  ImageD counts = detail::expose(rate, mask, band, obs);
  Rng poisson = rng.split(detail::kStreamPoisson), read = rng.split(detail::kStreamReadNoise);
  sample_poisson(counts, poisson);
  obs.saturation_lost = options.saturation ? saturate_and_bleed(counts, mask, band.n_exposures * band.full_well) : 0.0;
  detail::read_out(counts, mask, band, options, read, obs);
  obs.mask = std::move(mask);
  return obs;
}

}  // namespace lensforge
