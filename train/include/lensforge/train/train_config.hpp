#pragma once
// A training run as configured in configs/training/*.yaml (format in the README), after command
// line overrides ("key.sub=value"). Torch-free so that it is parsed and validated without LibTorch.
#include <cstdint>
#include <string>
#include <vector>

#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/data/specs.hpp"
#include "lensforge/train/model_card.hpp"

namespace lensforge::train {

/// Where a split's examples come from: a data set file, or the simulator (online).
struct DataSpec {
  std::string file;        ///< HDF5 data set; or empty when `population` is set
  std::string population;  ///< generator config (configs/populations/*.yaml) for online mode
  std::uint64_t seed = 0;  ///< online: run seed (validation/test: a fixed seed apart from training's)
  std::int64_t size = 0;   ///< online: images per epoch, [1, 1e9]; files: 0 = all rows, else the first `size`
  bool online() const { return !population.empty(); }
};

enum class OptimizerKind { ADAM, ADAMW };
enum class ScheduleKind { CONSTANT, STEP, COSINE, PLATEAU };

struct OptimSpec {
  OptimizerKind kind = OptimizerKind::ADAM;
  double learning_rate = 1e-3;  ///< (0, 10]
  double weight_decay = 0.0;    ///< [0, 1]; AdamW: decoupled
  double grad_clip = 0.0;       ///< max global gradient norm, 0: none
  ScheduleKind schedule = ScheduleKind::CONSTANT;
  int step_epochs = 10;         ///< STEP: epochs between decays, [1, 1e6]
  double gamma = 0.1;           ///< STEP/PLATEAU: factor, (0, 1)
  int plateau_patience = 3;     ///< PLATEAU: epochs without improvement before a decay
  double min_learning_rate = 0; ///< COSINE floor / PLATEAU floor
  int warmup_epochs = 0;        ///< linear warm-up, [0, epochs)
};

struct TrainConfig {
  std::string path;          ///< file it was read from
  std::string yaml_text;     ///< full config text after overrides (stored in checkpoints)
  std::string output_dir;    ///< checkpoints, metrics.csv, metrics.json, train.log
  DataSpec train;
  DataSpec validation;
  StackSpec stack;
  PreprocessSpec preprocess;
  AugmentSpec augment;
  TaskSpec task;
  ModelSpec model;           ///< model.input is filled from the data
  OptimSpec optim;
  LoaderOptions loader;      ///< batch size, workers, prefetch, balance_classes, seed (augment from `augment`)
  int epochs = 20;           ///< [1, 1e6]
  int early_stopping_patience = 0;  ///< epochs without validation improvement before stopping, 0: never
  double min_delta = 0.0;    ///< improvement smaller than this does not count
  std::uint64_t seed = 0;    ///< weight initialisation, shuffling, augmentation, dropout
  int threads = 0;           ///< torch intra-op threads, 0: all cores
  std::string device = "cpu";  ///< "cpu" or "cuda" (error if LibTorch has no CUDA)
  std::string validate() const;
};

/// Reads a training config; `overrides` are "dotted.key=value" strings applied before validation
/// (value parsed as YAML: "optim.learning_rate=3e-4", "stack.bands=[VIS,Y]"). Relative paths are
/// resolved against the config file's folder. Throws ConfigError naming the file and the key, with
/// the allowed values, for unknown keys, wrong types and out-of-range values.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides = {});
TrainConfig parse_train_config(const std::string& yaml_text, const std::string& source_name, const std::string& base_dir,
                               const std::vector<std::string>& overrides = {});

}  // namespace lensforge::train
