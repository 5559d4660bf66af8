#pragma once
// The settings that turn stored bands into model inputs. They are part of the training config and
// are stored in every checkpoint (model_card.hpp), so evaluation and inference prepare images
// exactly as training did. Each validate() returns "" or a message naming the field, its value and
// what is allowed.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace lensforge::train {

/// How bands on different pixel grids become channels of one image.
enum class BandGrid {
  FINEST,  ///< resample every band onto the grid of the finest band (e.g. NISP onto Euclid VIS)
  NATIVE,  ///< keep stored pixels; every band must have the same shape (else an error says so)
};

struct StackSpec {
  std::vector<std::string> bands;  ///< channel order; at least one band
  BandGrid grid = BandGrid::FINEST;
  /// Output pixel scale, arcsec/px, [0, 10]; 0: that of the finest band. A coarser scale bins
  /// (flux-conserving), a finer one interpolates.
  double pixel_scale = 0.0;
  /// Output size, px, [0, 4096], square, centred on the image centre; 0: the finest band's field of
  /// view at the output pixel scale. Larger than the field of view pads with zeros.
  int size = 0;
  std::string validate() const;
};

enum class Normalisation {
  NONE,        ///< pixel values as stretched
  MINMAX,      ///< per image and band: (x - min) / (max - min) -> [0, 1] (as in the seed studies)
  PERCENTILE,  ///< per image and band: (x - p_low) / (p_high - p_low), values clipped to [p_low, p_high]
};

enum class Stretch {
  LINEAR,  ///< none
  ASINH,   ///< asinh(x / softening)
  SQRT,    ///< sign(x) sqrt(|x|)
  LOG,     ///< log10(1 + max(x, 0) / softening)
};

struct PreprocessSpec {
  /// Multiplies each band first so bands of different units/depths are comparable, one per
  /// channel or empty (all 1).
  std::vector<double> band_scale;
  /// Percentile clipping before the stretch, per image and band, percent, 0 <= low < high <= 100
  /// (0 and 100: no clipping).
  double clip_low = 0.0;
  double clip_high = 100.0;
  Stretch stretch = Stretch::LINEAR;
  double softening = 1.0;  ///< ASINH/LOG softening in the band's (scaled) unit, > 0
  Normalisation normalisation = Normalisation::MINMAX;
  double norm_low = 1.0;    ///< PERCENTILE: lower percentile, [0, 100)
  double norm_high = 99.0;  ///< PERCENTILE: upper percentile, (norm_low, 100]
  std::string validate() const;
};

struct AugmentSpec {
  bool dihedral = true;        ///< one of the 8 rotations/flips of the square, uniformly
  double max_shift = 0.0;      ///< sub-pixel shift, output px, uniform in [-max_shift, max_shift] per axis, [0, 4]
  bool noise_redraw = false;   ///< replace the noise: noiseless + N(0, sigma) (needs those planes)
  /// Label columns that transform as (x, y) positions / vectors under rotations and flips.
  std::vector<std::pair<std::string, std::string>> vector_pairs;
  /// Label columns that transform as spin-2 pairs (e1, e2), (gamma1, gamma2).
  std::vector<std::pair<std::string, std::string>> spin2_pairs;
  std::string validate() const;
};

/// The pairs lensforge's label columns form (lens_center_x/y, lens_e1/e2, lens_gamma1/2, source
/// centres and ellipticities, ...), for AugmentSpec's defaults.
std::vector<std::pair<std::string, std::string>> default_vector_pairs();
std::vector<std::pair<std::string, std::string>> default_spin2_pairs();

/// What the model learns.
struct TaskSpec {
  bool classify = true;               ///< lens vs not (label column "class", BCE with logits)
  double positive_weight = 1.0;       ///< BCE weight of positives, > 0
  std::vector<std::string> targets;   ///< regression targets (label columns), may be empty
  /// Regression loss only on positives (targets of negatives are usually NaN anyway).
  bool regress_positives_only = true;
  std::string validate() const;
};

/// Standardisation of regression targets: t' = (t - mean) / scale, fitted on the training set.
struct TargetScaling {
  std::vector<std::string> names;
  std::vector<double> mean;
  std::vector<double> scale;  ///< > 0
  /// Equal lengths, unique non-empty names, finite means, finite scales > 0.
  std::string validate() const;
};

/// The names configs and checkpoints use: "finest", "native"; "none", "minmax", "percentile";
/// "linear", "asinh", "sqrt", "log".
std::string_view band_grid_name(BandGrid g);
std::string_view normalisation_name(Normalisation n);
std::string_view stretch_name(Stretch s);
/// The value of that name (exact, lower case), or nullopt.
std::optional<BandGrid> band_grid_from_name(std::string_view name);
std::optional<Normalisation> normalisation_from_name(std::string_view name);
std::optional<Stretch> stretch_from_name(std::string_view name);

// JSON objects with the fields' names as keys and enums by the names above. from_json starts from
// the defaults (a missing key keeps its default), throws ConfigError naming the key ("stack.size")
// for a value of the wrong type, an unknown name or an unknown key (listing the keys allowed), and
// for a spec that fails validate().
void to_json(nlohmann::json& j, const StackSpec& s);
void from_json(const nlohmann::json& j, StackSpec& s);
void to_json(nlohmann::json& j, const PreprocessSpec& s);
void from_json(const nlohmann::json& j, PreprocessSpec& s);
void to_json(nlohmann::json& j, const AugmentSpec& s);
void from_json(const nlohmann::json& j, AugmentSpec& s);
void to_json(nlohmann::json& j, const TaskSpec& s);
void from_json(const nlohmann::json& j, TaskSpec& s);
void to_json(nlohmann::json& j, const TargetScaling& s);
void from_json(const nlohmann::json& j, TargetScaling& s);

}  // namespace lensforge::train
