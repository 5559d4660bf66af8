// validate() of the data specs, enum names and the default label pairs.
#include "lensforge/train/data/specs.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

namespace lensforge::train {

std::string StackSpec::validate() const {
  if (bands.empty()) return "bands: at least one band is needed";
  if (bands.size() > 64) return fmt::format("bands: {} bands given, at most 64 allowed", bands.size());
  std::set<std::string> seen;
  for (std::size_t k = 0; k < bands.size(); ++k) {
    if (bands[k].empty()) return fmt::format("bands[{}]: empty band name", k);
    if (!seen.insert(bands[k]).second) return fmt::format("bands[{}] = '{}': listed twice", k, bands[k]);
  }
  if (grid != BandGrid::FINEST && grid != BandGrid::NATIVE) return "grid: must be finest or native";
  if (!(pixel_scale >= 0.0 && pixel_scale <= 10.0))
    return fmt::format("pixel_scale = {} arcsec/px: must be in [0, 10] (0: the finest band's)", pixel_scale);
  if (size < 0 || size > 4096)
    return fmt::format("size = {} px: must be in [0, 4096] (0: the finest band's field)", size);
  return {};
}

std::string PreprocessSpec::validate() const {
  for (std::size_t k = 0; k < band_scale.size(); ++k)
    if (!std::isfinite(band_scale[k]) || band_scale[k] <= 0.0)
      return fmt::format("band_scale[{}] = {}: must be finite and > 0", k, band_scale[k]);
  if (!(clip_low >= 0.0 && clip_high <= 100.0 && clip_low < clip_high))
    return fmt::format("clip_low = {}, clip_high = {} percent: need 0 <= clip_low < clip_high <= 100", clip_low,
                       clip_high);
  if (!stretch_from_name(stretch_name(stretch))) return "stretch: must be linear, asinh, sqrt or log";
  if (!(softening > 0.0 && std::isfinite(softening)))
    return fmt::format("softening = {}: must be finite and > 0", softening);
  if (!normalisation_from_name(normalisation_name(normalisation)))
    return "normalisation: must be none, minmax or percentile";
  if (!(norm_low >= 0.0 && norm_high <= 100.0 && norm_low < norm_high))
    return fmt::format("norm_low = {}, norm_high = {} percent: need 0 <= norm_low < norm_high <= 100", norm_low,
                       norm_high);
  return {};
}

std::string AugmentSpec::validate() const {
  if (!(max_shift >= 0.0 && max_shift <= 4.0)) return fmt::format("max_shift = {} px: must be in [0, 4]", max_shift);
  std::set<std::string> seen;
  auto check = [&](const std::vector<std::pair<std::string, std::string>>& pairs, const char* what) -> std::string {
    for (std::size_t k = 0; k < pairs.size(); ++k)
      for (const std::string& name : {pairs[k].first, pairs[k].second}) {
        if (name.empty()) return fmt::format("{}[{}]: empty column name", what, k);
        if (!seen.insert(name).second)
          return fmt::format("{}[{}]: column '{}' is already in a vector or spin-2 pair", what, k, name);
      }
    return {};
  };
  if (auto e = check(vector_pairs, "vector_pairs"); !e.empty()) return e;
  return check(spin2_pairs, "spin2_pairs");
}

std::string TaskSpec::validate() const {
  if (!(positive_weight > 0.0 && std::isfinite(positive_weight)))
    return fmt::format("positive_weight = {}: must be finite and > 0", positive_weight);
  if (!classify && targets.empty()) return "classify = false and no targets: the model would learn nothing";
  std::set<std::string> seen;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    if (targets[k].empty()) return fmt::format("targets[{}]: empty column name", k);
    if (targets[k] == "class") return fmt::format("targets[{}] = 'class': the class is learnt with classify", k);
    if (!seen.insert(targets[k]).second) return fmt::format("targets[{}] = '{}': listed twice", k, targets[k]);
  }
  return {};
}

std::string TargetScaling::validate() const {
  if (mean.size() != names.size() || scale.size() != names.size())
    return fmt::format("names, mean and scale have {}, {} and {} entries: must be equal", names.size(), mean.size(),
                       scale.size());
  std::set<std::string> seen;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (names[k].empty() || !seen.insert(names[k]).second)
      return fmt::format("names[{}] = '{}': must be non-empty and unique", k, names[k]);
    if (!std::isfinite(mean[k])) return fmt::format("mean[{}] = {} ({}): must be finite", k, mean[k], names[k]);
    if (!(std::isfinite(scale[k]) && scale[k] > 0.0))
      return fmt::format("scale[{}] = {} ({}): must be finite and > 0", k, scale[k], names[k]);
  }
  return {};
}

std::string_view band_grid_name(BandGrid g) {
  switch (g) {
    case BandGrid::FINEST:
      return "finest";
    case BandGrid::NATIVE:
      return "native";
  }
  return "?";
}

std::string_view normalisation_name(Normalisation n) {
  switch (n) {
    case Normalisation::NONE:
      return "none";
    case Normalisation::MINMAX:
      return "minmax";
    case Normalisation::PERCENTILE:
      return "percentile";
  }
  return "?";
}

std::string_view stretch_name(Stretch s) {
  switch (s) {
    case Stretch::LINEAR:
      return "linear";
    case Stretch::ASINH:
      return "asinh";
    case Stretch::SQRT:
      return "sqrt";
    case Stretch::LOG:
      return "log";
  }
  return "?";
}

std::optional<BandGrid> band_grid_from_name(std::string_view name) {
  for (BandGrid g : {BandGrid::FINEST, BandGrid::NATIVE})
    if (band_grid_name(g) == name) return g;
  return std::nullopt;
}

std::optional<Normalisation> normalisation_from_name(std::string_view name) {
  for (Normalisation n : {Normalisation::NONE, Normalisation::MINMAX, Normalisation::PERCENTILE})
    if (normalisation_name(n) == name) return n;
  return std::nullopt;
}

std::optional<Stretch> stretch_from_name(std::string_view name) {
  for (Stretch s : {Stretch::LINEAR, Stretch::ASINH, Stretch::SQRT, Stretch::LOG})
    if (stretch_name(s) == name) return s;
  return std::nullopt;
}

// The positions and ellipticities among label_columns() (population/label_column.cpp). Scalars
// (theta_E, redshifts, radii, magnitudes, source*_beta, separations) do not change under rotations,
// flips or shifts.
std::vector<std::pair<std::string, std::string>> default_vector_pairs() {
  return {{"lens_center_x", "lens_center_y"},
          {"lens2_center_x", "lens2_center_y"},
          {"galaxy_center_x", "galaxy_center_y"},
          {"source1_center_x", "source1_center_y"},
          {"source2_center_x", "source2_center_y"}};
}

std::vector<std::pair<std::string, std::string>> default_spin2_pairs() {
  return {{"lens_e1", "lens_e2"},     {"lens_gamma1", "lens_gamma2"}, {"lens2_e1", "lens2_e2"},
          {"galaxy_e1", "galaxy_e2"}, {"source1_e1", "source1_e2"},   {"source2_e1", "source2_e2"}};
}

}  // namespace lensforge::train
