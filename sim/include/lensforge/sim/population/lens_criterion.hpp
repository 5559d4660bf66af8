#pragma once
// Whether a simulated lens is detectably lensed, in the spirit of the Strong Lens Finding Challenge
// (Metcalf et al. 2019, A&A 625, A119): measured on the noiseless image of the lensed source(s)
// alone, in one band, against that band's noise:
//   lensed pixels   pixels where source > k_sigma * sigma
//   images          connected regions (8-neighbour) of those pixels with >= min_region_pixels pixels
//   arc S/N         sqrt(sum over lensed pixels of (source / sigma)^2)
//   magnification   lensed / unlensed flux of the (first) source (population/sampler.hpp)
// A lens passes when every measure reaches its threshold.
#include <string>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

enum class CriterionFailure {
  REDRAW,   ///< draw the scene again (attempt a uses Rng(seed, index).split(a)), up to max_attempts
  RELABEL,  ///< keep the scene and label it a negative (class 0)
};

struct LensCriterion {
  std::string band;              ///< band the criterion is measured in; empty: the first band
  double k_sigma = 1.0;          ///< detection threshold in units of the pixel noise, > 0
  int min_images = 1;            ///< [0, 1000]
  int min_lensed_pixels = 20;    ///< [0, 1e8]
  double min_magnification = 0;  ///< >= 0 (effective magnification of the first source)
  double min_arc_snr = 0;        ///< >= 0
  int min_region_pixels = 1;     ///< smallest region counted as an image, [1, 1e8]
  CriterionFailure on_failure = CriterionFailure::REDRAW;
  /// Draws of the scene before giving up (redraw); the last draw is then relabelled, [1, 10000].
  int max_attempts = 20;

  /// Empty when valid, else "key = value: must be ...".
  std::string validate() const;
};

/// The measures of one lensed-source image (no magnification: that needs the unlensed flux).
struct LensedSourceStats {
  int n_images = 0;       ///< connected regions above threshold with >= min_region_pixels pixels
  int lensed_pixels = 0;  ///< pixels above threshold (all regions)
  double arc_snr = 0.0;   ///< sqrt(sum (S/sigma)^2) over the lensed pixels
};

/// `source` and `sigma` in the same unit and shape; pixels with sigma <= 0 count as undetected.
LensedSourceStats lensed_source_stats(const ImageF& source, const ImageF& sigma, double k_sigma,
                                      int min_region_pixels);

}  // namespace lensforge
