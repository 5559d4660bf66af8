#pragma once
// The label table of a dataset: a fixed list of columns that every sample fills in the same order.
// A column that does not apply to a sample holds NaN (double), -1 (int64) or "" (string).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lensforge/sim/io/dataset_sample.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"

namespace lensforge {

struct GeneratorConfig;

/// Longest cutout or stamp name a label column holds (characters); longer names are refused when
/// the catalogs are read.
inline constexpr std::size_t kMaxNameLength = 64;

// LabelType, LabelColumn (io/dataset_schema.hpp) and LabelValue (io/dataset_sample.hpp) are the
// data-set file's own types, so the columns go to the writer unchanged.

/// The columns of every sample of `config` (they depend only on its bands), in order:
/// index, class, subtype, attempts, criterion_passed; the main deflector (lens_*); the source's
/// own deflector of a compound lens (lens2_*); the central galaxy (galaxy_*: the deflector's light
/// for lenses); the lensed sources (source1_*, source2_*); the criterion measures of all lensed
/// light together (n_images, lensed_pixels, arc_snr); bulge_*, spiral_*, ring_*, companion_*,
/// n_field_galaxies; cutout_name, cutout_transform (hybrid classes). Per-band columns end in _<band name>.
std::vector<LabelColumn> label_columns(const GeneratorConfig& config);

/// Index of the column called `name`; throws std::out_of_range when there is none.
std::size_t label_index(const std::vector<LabelColumn>& columns, std::string_view name);

}  // namespace lensforge
