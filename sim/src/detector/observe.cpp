#include "lensforge/sim/detector/observe.hpp"

#include <cmath>

#include "lensforge/sim/survey/band.hpp"
#include "noise_internal.hpp"

namespace lensforge {

Observation observe(const ImageF& noiseless, const Band& band, Rng& rng, const NoiseOptions& options) {
  detail::check_inputs(noiseless, band, options);
  Rng rate_rng = rng.split(detail::kStreamRateArtefacts), poisson = rng.split(detail::kStreamPoisson);
  Rng charge_rng = rng.split(detail::kStreamChargeArtefacts), read = rng.split(detail::kStreamReadNoise);

  Mask mask = Mask::Zero(noiseless.rows(), noiseless.cols());
  ImageF rate = noiseless;
  ArtefactReport report = apply_rate_artefacts(rate, mask, band, rate_rng);
  const ImageD expected = expected_electrons(rate, band, mask);
  ImageD counts = expected;
  sample_poisson(counts, poisson);
  apply_charge_artefacts(counts, mask, band, charge_rng, report);
  const double lost = options.saturation ? saturate_and_bleed(counts, mask, band.n_exposures * band.full_well) : 0.0;
  // Dead pixels and bad columns hold no charge at read-out, whatever reached them.
  constexpr std::uint16_t kEmpty = MaskBit::DEAD | MaskBit::BAD_COLUMN;
  for (Eigen::Index k = 0; k < counts.size(); ++k)
    if (mask.data()[k] & kEmpty) counts.data()[k] = 0.0;
  add_read_noise(counts, std::sqrt(double(band.n_exposures)) * band.read_noise, read);

  Observation obs = detail::finish_observation(counts, expected, std::move(mask), band, options);
  obs.saturation_lost = lost;
  obs.artefacts = std::move(report);
  return obs;
}

}  // namespace lensforge
