// write_calibrated_checkpoint (model_card.hpp): a checkpoint copy with a fitted temperature.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "checkpoint.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/model_card.hpp"

namespace lensforge::train {

void write_calibrated_checkpoint(const std::string& source, const std::string& destination, double temperature) {
  if (!(temperature > 0.0 && std::isfinite(temperature)))
    throw ConfigError(fmt::format("calibrated checkpoint: temperature = {}: must be finite and > 0", temperature));
  std::error_code ec;
  if (std::filesystem::exists(destination, ec) && std::filesystem::equivalent(source, destination, ec))
    throw IoError(fmt::format("calibrated checkpoint: destination '{}' is the source checkpoint", destination));
  torch_impl::CheckpointReader reader(source);
  ModelCard card = reader.card();
  card.temperature = temperature;
  torch_impl::LensNet model = reader.load_model();
  torch_impl::save_checkpoint(destination, card, model);
}

}  // namespace lensforge::train
