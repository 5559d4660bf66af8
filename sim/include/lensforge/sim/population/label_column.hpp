#pragma once
// The label table of a dataset: a fixed list of columns that every sample fills in the same order.
// A column that does not apply to a sample holds NaN (double), -1 (int64) or "" (string).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lensforge {

struct GeneratorConfig;

enum class LabelType { DOUBLE, INT64, STRING };

struct LabelColumn {
  std::string name;         ///< e.g. "lens_theta_E", "source1_mag_VIS"
  LabelType type = LabelType::DOUBLE;
  std::string unit;         ///< "arcsec", "mag", "km/s", "" (dimensionless), ...
  std::string description;  ///< one line
};

/// One sample's value of one column: double, int64 or string, as the column's type says.
using LabelValue = std::variant<double, std::int64_t, std::string>;

/// The columns of every sample of `config` (they depend only on its bands), in order:
/// index, class, subtype, attempts, criterion_passed; the main deflector (lens_*); the source's
/// own deflector of a compound lens (lens2_*); the central galaxy (galaxy_*: the deflector's light
/// for lenses); the lensed sources (source1_*, source2_*); the criterion measures of all lensed
/// light together (n_images, lensed_pixels, arc_snr); bulge_*, spiral_*, ring_*, companion_*,
/// n_field_galaxies. Per-band columns end in _<band name>.
std::vector<LabelColumn> label_columns(const GeneratorConfig& config);

/// Index of the column called `name`; throws std::out_of_range when there is none.
std::size_t label_index(const std::vector<LabelColumn>& columns, std::string_view name);

}  // namespace lensforge
