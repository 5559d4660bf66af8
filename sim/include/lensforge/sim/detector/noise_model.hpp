#pragma once
// Noise model of a CCD-like detector. Input: a noiseless image in electrons per second per pixel.
// With total exposure t = n_exposures * exposure_time:
//   expected  E = max(image + sky + dark, 0) * t                    (electrons; 0 on DEAD/BAD_COLUMN)
//   counts    C = Poisson(E) [+ cosmic rays] -> saturation/bleed -> + Normal(0, sqrt(n_exp) sigma_read)
//   image     (C - (sky + dark) t) / t                              (background-subtracted e-/s)
//   sigma     sqrt(E + n_exp sigma_read^2) / t                      (expected 1-sigma per pixel)
// both then multiplied by the output unit's scale. The n_exp exposures are treated as identical
// and summed, so a pixel saturates when its summed charge exceeds n_exp * full_well.
#include <string>
#include <string_view>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/detector/artefacts.hpp"
#include "lensforge/sim/detector/mask.hpp"

namespace lensforge {

struct Band;

enum class OutputUnit {
  ELECTRONS_PER_S,  ///< e-/s per pixel (scale 1); zero point = band zero point
  ADU,              ///< ADU of the summed exposures: e- / gain (scale t / gain); zp = zp_band + 2.5 log10(t / gain)
  /// Flux such that 1 unit is a source of AB magnitude `flux_zero_point` ("nanomaggies" for 22.5):
  /// scale 10^(-0.4 (zp_band - flux_zero_point)); zero point = flux_zero_point.
  ZERO_POINT_FLUX,
};

/// "e-/s", "ADU" or "flux" (for headers; the zero point says which flux).
std::string_view output_unit_name(OutputUnit u);

struct NoiseOptions {
  OutputUnit unit = OutputUnit::ELECTRONS_PER_S;
  double flux_zero_point = 22.5;   ///< AB mag of one output unit for ZERO_POINT_FLUX, [0, 40]
  bool subtract_background = true; ///< subtract the expected (sky + dark) t from the counts
  bool saturation = true;          ///< clip at the full well and bleed the excess along columns
  /// Empty when valid, else a message naming the option.
  std::string validate() const;
};

/// How e-/s convert to the output unit: value_out = scale * value_e_per_s, and zero_point is the
/// AB magnitude of a source totalling 1 output unit.
struct OutputScale {
  double scale = 1.0;
  double zero_point = 0.0;
};
OutputScale output_scale(const Band& band, const NoiseOptions& options);

struct Observation {
  ImageF image;            ///< noisy image in `unit`
  ImageF sigma;            ///< expected 1-sigma noise per pixel, same unit
  Mask mask;               ///< artefact bits (detector/mask.hpp)
  OutputUnit unit = OutputUnit::ELECTRONS_PER_S;
  double zero_point = 0;   ///< AB magnitude of a source whose total is 1 output unit
  double scale = 1;        ///< output units per (e-/s)
  double exposure_time = 0;///< total t = n_exposures * exposure_time, s
  double background = 0;   ///< expected (sky + dark) per pixel in output units; subtracted if asked
  double saturation_lost = 0; ///< electrons that bled off the top/bottom edge of the image
  ArtefactReport artefacts;
};

// ---- stages (free functions, also used by observe()) ----------------------------------------

/// E = max(rate + sky + dark, 0) * t per pixel, in electrons; 0 where the mask has DEAD or
/// BAD_COLUMN (pass an all-zero mask for none). rate in e-/s per pixel.
ImageD expected_electrons(const ImageF& rate, const Band& band, const Mask& mask);

/// Replaces every expectation by a Poisson deviate, row by row from one stream
/// (sample_poisson_inplace of core/rng.hpp: exact, vectorised).
void sample_poisson(ImageD& electrons, Rng& rng);

/// Saturation with charge-conserving bleeding along columns. A pixel holding more than
/// `capacity` electrons keeps `capacity`; its excess goes half up and half down the column, each
/// half filling the next pixels to `capacity` in turn; charge that runs past the first or last row
/// leaves the image (returned). Afterwards SATURATED marks every pixel at capacity and BLEED every
/// pixel that received bled charge. Column sums are conserved apart from the returned loss.
double saturate_and_bleed(ImageD& electrons, Mask& mask, double capacity);

/// Adds Normal(0, sigma) electrons to every pixel (sigma >= 0), row by row from one stream
/// (fill_standard_normal of core/rng.hpp); sigma = 0 draws nothing.
void add_read_noise(ImageD& electrons, double sigma, Rng& rng);

/// Noise only (no artefacts): expected -> Poisson -> saturation -> read noise -> output unit.
/// Same Rng sub-streams as observe(), so observe() with every artefact off gives the same image.
Observation add_noise(const ImageF& rate, const Band& band, Rng& rng, const NoiseOptions& options = {});

}  // namespace lensforge
