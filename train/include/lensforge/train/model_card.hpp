#pragma once
// Everything a checkpoint says about itself besides the weights: the architecture (to rebuild the
// network), how images were prepared, which bands at which pixel scales, what the outputs mean and
// how to un-standardise them, the calibration temperature, the training config and provenance.
// Evaluation and inference need nothing but the checkpoint file.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

enum class Architecture {
  CNN,     ///< compact CNN after the LASTRO finder (Schaefer et al. 2018): 5x5 then 3x3 convolutions
  RESNET,  ///< pre-activation ResNet after CMU DeepLens (Lanusse et al. 2018)
};

struct ModelSpec {
  Architecture architecture = Architecture::CNN;
  InputShape input;                        ///< set from the data (stacked_shape)
  /// CNN: output channels of each conv stage (first kernel 5x5, then 3x3, 2x2 max-pool after
  /// each); ResNet: width of each stage (stride 2 between stages). At least one, each [1, 1024].
  std::vector<int> widths = {16, 32, 64, 128};
  int blocks_per_stage = 2;     ///< ResNet residual blocks per stage, [1, 16]
  int dense_units = 128;        ///< hidden units of the dense layer before the heads, [1, 8192]
  double dropout = 0.5;         ///< dropout before the heads, [0, 1)
  double spatial_dropout = 0.0; ///< channel dropout after each conv stage, [0, 1)
  bool batch_norm = true;       ///< CNN: batch norm after each convolution
  bool classify = true;         ///< one logit output
  int num_targets = 0;          ///< regression targets: a mean and a log-variance each
  std::string validate() const;
};

struct ModelCard {
  std::string software_version;  ///< LENSFORGE_VERSION that wrote it
  std::string created;           ///< UTC ISO 8601
  ModelSpec model;
  StackSpec stack;
  std::vector<BandSchema> bands;  ///< the training data's bands (names, pixel scales, units, ...)
  PreprocessSpec preprocess;
  AugmentSpec augment;            ///< as trained (not applied at inference)
  TaskSpec task;
  TargetScaling scaling;
  double temperature = 1.0;       ///< calibration: probability = sigmoid(logit / temperature), > 0
  std::string config_yaml;        ///< the full training config as run
  std::string train_data;         ///< ExampleSource::describe() of the training data
  int epoch = 0;                  ///< epochs completed when written
  double val_loss = 0.0;          ///< validation loss at that epoch
};

void to_json(nlohmann::json& j, const ModelSpec& s);
void from_json(const nlohmann::json& j, ModelSpec& s);
void to_json(nlohmann::json& j, const ModelCard& c);
void from_json(const nlohmann::json& j, ModelCard& c);

/// Reads only the card of a checkpoint. Throws IoError naming the file if it is missing or not a
/// lensforge checkpoint. (Implemented on the LibTorch side.)
ModelCard read_model_card(const std::string& checkpoint_path);

/// Writes a copy of checkpoint `source` to `destination` whose card has `temperature` (> 0, else
/// ConfigError) as its calibration temperature: the card and the weights only (no optimiser or
/// resume state), written atomically. IoError naming the file when either cannot be used; the
/// destination must differ from the source. (Implemented on the LibTorch side.)
void write_calibrated_checkpoint(const std::string& source, const std::string& destination, double temperature);

}  // namespace lensforge::train
