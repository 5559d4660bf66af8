#include "lensforge/train/train_config.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>

#include <fmt/format.h>

namespace lensforge::train {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxSeed = std::uint64_t(std::numeric_limits<std::int64_t>::max());

/// The message with its key path under `section` ("size = 5" -> "stack.size = 5"), unless it
/// already names the section.
std::string within(const std::string& section, const std::string& message) {
  if (message.empty()) return message;
  if (message.rfind(section, 0) == 0 && message.size() > section.size() &&
      std::string_view(".: ").find(message[section.size()]) != std::string_view::npos)
    return message;
  return section + "." + message;
}

}  // namespace

std::string DataSpec::validate() const {
  if (file.empty() && population.empty())
    return "file: missing; give file (an HDF5 data set) or population (a generator config, simulated online)";
  if (!file.empty() && !population.empty())
    return fmt::format("population = {}: given together with file = {}; give one of them", population, file);
  if (online() && (size < 1 || size > 1000000000))
    return fmt::format("size = {}; allowed: [1, 1e9] images per epoch for online data", size);
  if (!online() && (size < 0 || size > 1000000000))
    return fmt::format("size = {}; allowed: 0 (every row of the file) or [1, 1e9] (the first rows)", size);
  if (seed > kMaxSeed) return fmt::format("seed = {}; allowed: [0, 2^63 - 1]", seed);
  return {};
}

std::string OptimSpec::validate() const {
  if (!(learning_rate > 0 && learning_rate <= 10))
    return fmt::format("learning_rate = {}; allowed: (0, 10]", learning_rate);
  if (!(weight_decay >= 0 && weight_decay <= 1)) return fmt::format("weight_decay = {}; allowed: [0, 1]", weight_decay);
  if (!(grad_clip >= 0 && std::isfinite(grad_clip)))
    return fmt::format("grad_clip = {}; allowed: 0 (no clipping) or a finite norm > 0", grad_clip);
  if (step_epochs < 1 || step_epochs > 1000000) return fmt::format("step_epochs = {}; allowed: [1, 1e6]", step_epochs);
  if (!(gamma > 0 && gamma < 1)) return fmt::format("gamma = {}; allowed: (0, 1)", gamma);
  if (plateau_patience < 1 || plateau_patience > 1000000)
    return fmt::format("plateau_patience = {}; allowed: [1, 1e6] epochs", plateau_patience);
  if (!(min_learning_rate >= 0 && min_learning_rate <= learning_rate))
    return fmt::format("min_learning_rate = {}; allowed: [0, learning_rate = {}]", min_learning_rate, learning_rate);
  if (warmup_epochs < 0 || warmup_epochs > 1000000)
    return fmt::format("warmup_epochs = {}; allowed: [0, 1e6]", warmup_epochs);
  return {};
}

std::string TrainConfig::validate() const {
  if (output_dir.empty()) return "output_dir: missing; give the folder for checkpoints and metrics";
  if (auto e = within("data.train", train.validate()); !e.empty()) return e;
  if (auto e = within("data.validation", validation.validate()); !e.empty()) return e;
  if (!train.online() && !validation.online() && fs::path(train.file) == fs::path(validation.file))
    return fmt::format("data.validation.file = {}: the training file; validate on images the model does not train "
                       "on (a second generated file)",
                       validation.file);
  if (train.online() && validation.online() && fs::path(train.population) == fs::path(validation.population) &&
      train.seed == validation.seed)
    return fmt::format("data.validation.seed = {}: the training seed with the same population, so validation would "
                       "repeat training images; choose another seed",
                       validation.seed);
  if (auto e = within("stack", stack.validate()); !e.empty()) return e;
  if (auto e = within("preprocess", preprocess.validate()); !e.empty()) return e;
  if (!preprocess.band_scale.empty() && preprocess.band_scale.size() != stack.bands.size())
    return fmt::format("preprocess.band_scale has {} values; allowed: none or one per band of stack.bands ({})",
                       preprocess.band_scale.size(), stack.bands.size());
  if (auto e = within("augment", augment.validate()); !e.empty()) return e;
  if (auto e = within("task", task.validate()); !e.empty()) return e;
  if (auto e = within("model", model.validate()); !e.empty()) return e;
  if (model.classify != task.classify || model.num_targets != int(task.targets.size()))
    return fmt::format("model: classify = {} and num_targets = {} must follow task (classify = {}, {} targets)",
                       model.classify, model.num_targets, task.classify, task.targets.size());
  if (auto e = within("optim", optim.validate()); !e.empty()) return e;
  if (auto e = within("loader", loader.validate()); !e.empty()) return e;
  if (loader.balance_classes && !task.classify)
    return "loader.balance_classes = true: needs task.classify = true (classes come from the label 'class')";
  if (epochs < 1 || epochs > 1000000) return fmt::format("epochs = {}; allowed: [1, 1e6]", epochs);
  if (optim.warmup_epochs >= epochs)
    return fmt::format("optim.warmup_epochs = {}; allowed: [0, epochs) = [0, {})", optim.warmup_epochs, epochs);
  if (early_stopping_patience < 0 || early_stopping_patience > 1000000)
    return fmt::format("early_stopping.patience = {}; allowed: 0 (never stop early) or [1, 1e6] epochs",
                       early_stopping_patience);
  if (!(min_delta >= 0 && std::isfinite(min_delta)))
    return fmt::format("early_stopping.min_delta = {}; allowed: a finite loss difference >= 0", min_delta);
  if (seed > kMaxSeed) return fmt::format("seed = {}; allowed: [0, 2^63 - 1]", seed);
  if (threads < 0 || threads > 4096) return fmt::format("threads = {}; allowed: 0 (all cores) or [1, 4096]", threads);
  if (device != "cpu" && device != "cuda") return fmt::format("device = {}; allowed: cpu, cuda", device);
  return {};
}

std::string TrainConfig::check_files() const {
  std::error_code ec;
  for (const auto& [name, d] : {std::pair{"data.train", &train}, std::pair{"data.validation", &validation}}) {
    const bool online = d->online();
    const std::string& p = online ? d->population : d->file;
    if (!fs::is_regular_file(p, ec))
      return fmt::format("{}.{} = {}: {}{}", name, online ? "population" : "file", p,
                         fs::exists(p, ec) ? "not a file" : "no such file",
                         online ? "" : " (make it with lensforge-sim generate)");
  }
  return {};
}

}  // namespace lensforge::train
