#pragma once
// prepare_example (batch_loader.hpp) with its set-up done once: band lookup, resampling weights,
// label column indices. One preparer serves any number of threads.
//
// Steps for one raw example (each optional step as configured):
//   1. noise redraw (augmenting, AugmentSpec::noise_redraw): each stacked band becomes
//      noiseless + sigma * N(0, 1) on its own pixels, from rng.split(kNoiseTag).split(band index);
//   2. band stacking (BandStacker);
//   3. augmentation (augmenting): draw_augmentation(augment, r) with r = rng.split(kGeometryTag),
//      shift_image, apply_dihedral, and the same transform of the label values;
//   4. preprocessing (preprocess.hpp);
//   5. label = column "class" (0 when the source has no such column); targets from the label values
//      in TaskSpec::targets order.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/data/augmentation.hpp"
#include "lensforge/train/data/band_stacker.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

/// Sub-streams of an example's Rng.
inline constexpr std::uint64_t kNoiseTag = 0x6e6f697365ULL;   // "noise"
inline constexpr std::uint64_t kGeometryTag = 0x67656f6dULL;  // "geom"

class ExamplePreparer {
 public:
  /// `bands` and `columns` as the source gives them. Throws ConfigError for invalid specs, what
  /// BandStacker refuses, a band_scale whose length is not the number of channels, a target that
  /// is not a column (listing the columns), a target in a vector or spin-2 pair whose partner is
  /// not a column (augmenting), dihedral augmentation of non-square images, or noise_redraw when
  /// the bands' noise planes are not in the examples (found at prepare()).
  ExamplePreparer(const std::vector<BandSchema>& bands, const std::vector<std::string>& columns, StackSpec stack,
                  PreprocessSpec preprocess, TaskSpec task, std::optional<AugmentSpec> augment);

  const InputShape& shape() const { return stacker_.shape(); }
  const BandStacker& stacker() const { return stacker_; }
  bool augments() const { return augment_.has_value(); }

  /// Prepares one example; augments when constructed with an AugmentSpec and rng is not null.
  Example prepare(const RawExample& raw, Rng* rng) const;

 private:
  std::vector<BandSchema> bands_;
  std::size_t num_columns_ = 0;
  BandStacker stacker_;
  PreprocessSpec preprocess_;
  std::optional<AugmentSpec> augment_;
  LabelPairs pairs_;
  std::optional<std::size_t> class_column_;
  std::vector<std::size_t> target_columns_;
};

}  // namespace lensforge::train
