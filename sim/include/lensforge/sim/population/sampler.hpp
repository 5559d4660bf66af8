#pragma once
// make_sample: image `index` of a dataset drawn from a generator config — the population side of
// `lensforge-sim generate`. Everything is a function of (config, seed, index) only:
//
//   class      class_index(): the classes' fractions hold EXACTLY in every block of
//              config.class_block consecutive indices (block b = index / class_block): each
//              class gets round(fraction * class_block) places (largest remainders; ties to the
//              class listed first), shuffled by Rng(seed, b).split(kClassTag). A trailing
//              partial block holds them in expectation.
//   attempt a  Rng(seed, index).split(a): its sub-streams split(1) draw the scene parameters (in
//              a fixed order), split(2) the catalog rows, split(3) the observation's noise.
//   scene      drawn from the class's population (population/population_spec.hpp); lensed
//              sources go to Scene::sources, every other light (deflector, companions, field
//              galaxies, hard-negative features) to Scene::lens_light.
//   magnification  for each lensed source: its flux rendered through the lens planes in the
//              criterion band's cutout (observation supersampling, no PSF) over the total flux of
//              its unlensed profile (so images outside the cutout do not count); sources given
//              lensed magnitudes get intrinsic = lensed + 2.5 log10(mu).
//   criterion  lens classes only (population/lens_criterion.hpp), in the criterion band: source
//              images against the noise sigma map (the observation's, or without noise the
//              expected sigma of the noiseless image). On failure: redraw (next attempt; after
//              max_attempts the last draw is relabelled) or relabel (class 0, criterion_passed 0).
//              Cost only: an attempt that will be redrawn stops at its first failing test (the
//              magnification before any band is observed; the criterion band is observed before
//              the others), which draws nothing another attempt uses, so no bit depends on it.
//   hybrid     hybrid classes draw a cutout (uniform over the class's rows) and its dihedral
//              transform first; each band is then observe_cutout (population/cutout_library.hpp)
//              instead of the observer: the real pixels, plus for hybrid_lens the arc with the
//              row's PSF and its Poisson noise. No artefacts are added to real pixels.
//   labels     label_columns(config) (population/label_column.hpp), filled in that order.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/sim/population/label_column.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/render/scene.hpp"

namespace lensforge {

/// Tag of the class shuffle's stream: Rng(seed, block).split(kClassTag).
inline constexpr std::uint64_t kClassTag = 0x636c617373ULL;

struct SampleResult {
  std::uint64_t index = 0;
  std::size_t class_index = 0;  ///< into config.classes
  SampleClass kind = SampleClass::LENS;
  int label = 0;      ///< 1: lens-like positive that passed the criterion; 0: negative
  int attempts = 1;   ///< scene draws made
  Scene scene;        ///< the scene observed (magnitudes per band: intrinsic)
  std::vector<BandObservation> bands;  ///< one per config band, in config order
  ImageF kappa;       ///< convergence on the first band's pixel centres (store.kappa), else empty
  std::vector<LabelValue> labels;      ///< label_columns(config) order
};

/// Places per class in every block of config.class_block images (sums to class_block).
std::vector<int> class_counts_per_block(const GeneratorConfig& config);

/// The class (index into config.classes) of image `index`.
std::size_t class_index(const GeneratorConfig& config, std::uint64_t seed, std::uint64_t index);

/// The observer make_sample expects: the config's bands and observation options.
SceneObserver make_observer(const GeneratorConfig& config);

/// Draws, observes, checks and labels image `index` (see above). `observer` must observe the
/// config's bands (make_observer); with a compound class it must keep source images
/// (ObservationOptions::source_images, which the config sets). Thread-safe.
SampleResult make_sample(const GeneratorConfig& config, const SceneObserver& observer, std::uint64_t seed,
                         std::uint64_t index);

}  // namespace lensforge
