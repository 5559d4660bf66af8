#pragma once
// The whole detector side: a band's artefacts and noise applied to a noiseless image.
#include "lensforge/sim/detector/noise_model.hpp"

namespace lensforge {

/// Observes `noiseless` (e-/s per pixel, the band's or any shape) through `band`:
///   rate artefacts (neighbours, satellites, hot/dead pixels, bad columns) -> expected electrons
///   -> Poisson -> cosmic rays -> saturation and bleeding -> dead pixels and bad columns emptied
///   -> read noise -> background subtraction and output unit (see noise_model.hpp).
/// Each stage draws from its own sub-stream of `rng`, so the image depends only on the Rng's
/// (seed, stream) and the band. Throws ConfigError if the band or the options are invalid.
Observation observe(const ImageF& noiseless, const Band& band, Rng& rng, const NoiseOptions& options = {});

}  // namespace lensforge
