#pragma once
// A training run as configured in configs/training/*.yaml, after command line overrides
// ("key.sub=value"). Torch-free so that it is parsed and validated without LibTorch.
//
// Format (every key optional unless marked; defaults as in the structs below; commented examples
// in configs/training/*.yaml):
//
//   output_dir: ../../out/runs/finder_cnn   # required: checkpoints, metrics.csv, metrics.json, train.log
//   data:                                   # required
//     train:                                #   required: an HDF5 data set ...
//       file: ../../out/data/euclid_train.h5
//       size: 0                             #     0: every row, else the first `size` rows
//     validation:                           #   required: ... or the simulator (online)
//       population: ../populations/euclid.yaml   # generator config
//       seed: 1001                          #     online only: run seed (apart from training's)
//       size: 2000                          #     online: images per epoch, [1, 1e9]
//   stack: {bands: [VIS, Y, J, H], grid: finest, pixel_scale: 0.2, size: 64}
//                                           # bands required; grid: finest | native
//   preprocess: {band_scale: [], clip_low: 0, clip_high: 100, stretch: asinh, softening: 1,
//                normalisation: minmax, norm_low: 1, norm_high: 99}
//                                           # stretch: linear | asinh | sqrt | log;
//                                           # normalisation: none | minmax | percentile
//   augment: {dihedral: true, max_shift: 0, noise_redraw: false,
//             vector_pairs: [[lens_center_x, lens_center_y], ...],   # default: default_vector_pairs()
//             spin2_pairs: [[lens_e1, lens_e2], ...]}                # default: default_spin2_pairs()
//   task: {classify: true, positive_weight: 1, targets: [lens_theta_E], regress_positives_only: true}
//   model: {architecture: cnn, widths: [16, 32, 64, 128], blocks_per_stage: 2, dense_units: 128,
//           dropout: 0.5, spatial_dropout: 0, batch_norm: true}     # architecture: cnn | resnet
//   optim: {optimizer: adam, learning_rate: 1e-3, weight_decay: 0, grad_clip: 0, schedule: constant,
//           step_epochs: 10, gamma: 0.1, plateau_patience: 3, min_learning_rate: 0, warmup_epochs: 0}
//                                           # optimizer: adam | adamw;
//                                           # schedule: constant | step | cosine | plateau
//   loader: {batch_size: 64, shuffle: true, drop_last: false, balance_classes: false, workers: 2,
//            prefetch: 4}
//   epochs: 20
//   early_stopping: {patience: 0, min_delta: 0}   # patience 0: never stop early
//   seed: 0                                 # weights, shuffling, augmentation, dropout; [0, 2^63)
//   threads: 0                              # torch intra-op threads, 0: all cores
//   device: cpu                             # cpu | cuda
//
// Enumerations are lower-case words (upper case is accepted). Relative paths (output_dir, file,
// population) are resolved against the config file's folder, those given in overrides against the
// working directory; yaml_text holds them absolute.
// Overrides: "dotted.key=value", the value parsed as YAML ("optim.learning_rate=3e-4",
// "stack.bands=[VIS, Y]", "data.train={population: p.yaml, size: 1000}"); an empty or null value
// removes the key (its default applies again). Later overrides win.
// Derived, not keys: model.classify and model.num_targets (from task), model.input (from the data),
// loader.augment (true when the augment section asks for any transformation; augmentation is for
// training batches only) and loader.seed (= seed).
// Errors: ConfigError "FILE:LINE: key.path: what was found; what is allowed" (unknown keys add "did
// you mean ...?"); errors in an override name it instead of a line.
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
  /// "" or a message naming the field: exactly one of file and population, size in range.
  std::string validate() const;
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
  /// "" or a message naming the field, its value and the allowed range (warmup_epochs < epochs is
  /// checked by TrainConfig::validate).
  std::string validate() const;
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
  /// "" or a message "section.field = value; allowed: ..." for the first invalid setting: each
  /// section's own validate() and the checks between sections.
  std::string validate() const;
  /// "" or a message naming the first data file or population config that does not exist (key and
  /// path). Kept apart from validate() so a config can be checked before its data is made.
  std::string check_files() const;
};

/// The config as canonical YAML: every key with its value (defaults included), enumerations as
/// lower-case words, paths as stored. parse_train_config(to_yaml(c), ...) gives c back.
std::string to_yaml(const TrainConfig& config);

/// Reads a training config; `overrides` are "dotted.key=value" strings applied before validation
/// (value parsed as YAML: "optim.learning_rate=3e-4", "stack.bands=[VIS,Y]"). Relative paths are
/// resolved against the config file's folder. Throws ConfigError naming the file and the key, with
/// the allowed values, for unknown keys, wrong types and out-of-range values; IoError if the file
/// cannot be read. The result is valid (validate() == "") and its yaml_text is to_yaml() of it.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides = {});
/// As load_train_config for text named `source_name` in messages; relative paths resolved against
/// `base_dir` (empty: the working directory).
TrainConfig parse_train_config(const std::string& yaml_text, const std::string& source_name, const std::string& base_dir,
                               const std::vector<std::string>& overrides = {});

}  // namespace lensforge::train
