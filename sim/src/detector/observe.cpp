#include "lensforge/sim/detector/observe.hpp"

#include <cmath>

#include "lensforge/sim/survey/band.hpp"
#include "noise_internal.hpp"

namespace lensforge {

namespace {

bool any_rate_artefact(const ArtefactSettings& a) {
  return a.neighbours.enabled || a.satellite_trails.enabled || a.hot_pixels.enabled || a.dead_pixels.enabled ||
         a.bad_columns.enabled;
}

}  // namespace

Observation observe(const ImageF& noiseless, const Band& band, Rng& rng, const NoiseOptions& options) {
  detail::check_inputs(noiseless, band, options);
  Rng rate_rng = rng.split(detail::kStreamRateArtefacts), poisson = rng.split(detail::kStreamPoisson);
  Rng charge_rng = rng.split(detail::kStreamChargeArtefacts), read = rng.split(detail::kStreamReadNoise);

  Mask mask = Mask::Zero(noiseless.rows(), noiseless.cols());
  ArtefactReport report;
  // The rate image is copied only when an artefact changes it (with none, nothing is drawn).
  ImageF modified;
  if (any_rate_artefact(band.artefacts)) {
    modified = noiseless;
    report = apply_rate_artefacts(modified, mask, band, rate_rng);
  }
  const ImageF& rate = modified.size() ? modified : noiseless;
  Observation obs = detail::start_observation(band, options, noiseless.rows(), noiseless.cols());
  ImageD counts = detail::expose(rate, mask, band, obs);  // expected electrons; obs.sigma
  sample_poisson(counts, poisson);
  apply_charge_artefacts(counts, mask, band, charge_rng, report);
  obs.saturation_lost =
      options.saturation ? saturate_and_bleed(counts, mask, band.n_exposures * band.full_well) : 0.0;
  // Dead pixels and bad columns hold no charge at read-out, whatever reached them.
  detail::read_out(counts, mask, band, options, read, obs);
  obs.mask = std::move(mask);
  obs.artefacts = std::move(report);
  return obs;
}

}  // namespace lensforge
