// ModelSpec::validate (torch-free: a config is checked before LibTorch builds anything).
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "lensforge/train/model_card.hpp"

namespace lensforge::train {

std::string ModelSpec::validate() const {
  if (widths.empty()) return "model.widths is empty: give at least one stage width";
  if (widths.size() > 16) return fmt::format("model.widths has {} stages: at most 16", widths.size());
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i] < 1 || widths[i] > 1024) return fmt::format("model.widths[{}] = {}: must be in [1, 1024]", i, widths[i]);
  }
  if (blocks_per_stage < 1 || blocks_per_stage > 16) {
    return fmt::format("model.blocks_per_stage = {}: must be in [1, 16]", blocks_per_stage);
  }
  if (dense_units < 1 || dense_units > 8192) return fmt::format("model.dense_units = {}: must be in [1, 8192]", dense_units);
  if (!(dropout >= 0.0 && dropout < 1.0)) return fmt::format("model.dropout = {}: must be in [0, 1)", dropout);
  if (!(spatial_dropout >= 0.0 && spatial_dropout < 1.0)) {
    return fmt::format("model.spatial_dropout = {}: must be in [0, 1)", spatial_dropout);
  }
  if (num_targets < 0 || num_targets > 1024) return fmt::format("model.num_targets = {}: must be in [0, 1024]", num_targets);
  if (!classify && num_targets == 0) return "model: classify is false and num_targets = 0: the model would have no output";
  if (input.channels != 0 || input.height != 0 || input.width != 0) {
    if (input.channels < 1 || input.channels > 64) return fmt::format("model.input.channels = {}: must be in [1, 64]", input.channels);
    if (input.height < 1 || input.height > 4096 || input.width < 1 || input.width > 4096) {
      return fmt::format("model.input = {}x{} px: each side must be in [1, 4096]", input.height, input.width);
    }
    // Every stage halves the image (CNN: 2x2 max pool; ResNet: stride 2 between stages, so one
    // halving fewer); the last feature map must keep at least one pixel.
    const int halvings = architecture == Architecture::CNN ? int(widths.size()) : int(widths.size()) - 1;
    const int smallest = std::min(input.height, input.width);
    if ((smallest >> halvings) < 1) {
      return fmt::format("model: input {}x{} px is too small for {} stages ({} halvings need at least {} px)", input.height,
                         input.width, widths.size(), halvings, 1 << halvings);
    }
  }
  return "";
}

}  // namespace lensforge::train
