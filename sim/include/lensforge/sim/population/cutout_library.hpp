#pragma once
// Real cutouts as a population's images (hybrid_lens, hybrid_nonlens, real_contaminant classes of
// population/generator_config.hpp): a hybrid catalog (render/hybrid.hpp) read for the bands a
// config observes. Every cutout name needs one row per observed band, at that band's pixel scale
// and at least its image size; the centre nx x ny pixels are kept (the size difference must be
// even, so the cutout centre stays the image centre) and converted to the band's e-/s (pixels
// times 10^(0.4 (zp_band - zp_row))). Rows of bands the config does not observe are ignored.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

/// One cutout name in every observed band.
struct CutoutSet {
  std::string name;                 ///< cutout identity (the cutout_name label)
  std::string split;                ///< the row's split column ("" when absent)
  std::vector<HybridCutout> bands;  ///< per observed band, in config order: cropped, e-/s of the band
  std::vector<double> noise_sigma;  ///< per band: e-/s per pixel, 1.4826 MAD of the cropped border (4 px)
};

struct CutoutLibrary {
  std::string path;              ///< catalog file
  std::vector<CutoutSet> sets;   ///< in catalog order of first appearance
};

/// Reads `catalog_path` for `bands`. Throws ConfigError naming the catalog row (and the band) for a
/// missing band, a pixel scale that is not the band's (relative difference > 1e-6), a cutout
/// smaller than the band's image or with an odd size difference.
CutoutLibrary load_cutout_library(const std::string& catalog_path, const std::vector<Band>& bands);

/// Dihedral transform t in [0, 8) of a square image: t & 3 quarter turns counter-clockwise (in
/// the displayed orientation, row 0 at the bottom), then a flip of the x axis when t & 4.
ImageD dihedral(const ImageD& image, int t);

/// Band `k` of a hybrid image: the cutout (dihedral `transform`) plus the lensed sources of `scene`
/// (hybrid_arc: noiseless, the cutout row's PSF), the arc with its Poisson noise (exposure_time of
/// the row) from rng.split(k). lens_light = the cutout, source = the arc, noiseless = their sum;
/// observed (when options.noise): the painted image, sigma = sqrt(noise_sigma^2 + max(noiseless,
/// 0) / t) and an all-zero mask in the band's output unit. Without options.noise_options
/// .subtract_background the band's expected background is added to the cutout. An empty scene (no
/// sources) gives the cutout alone, bit for bit in e-/s.
BandObservation observe_cutout(const CutoutSet& set, std::size_t k, const Band& band, int transform,
                               const Scene& scene, const ObservationOptions& options, const Rng& rng);

}  // namespace lensforge
