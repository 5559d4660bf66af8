#pragma once
// Checkpoint files. Private to lensforge::train.
//
// One file, a torch::serialize archive (the TorchScript zip container LibTorch writes):
//   "card"       string   the ModelCard as JSON text (model_card_json.cpp)
//   "model"      archive  parameters and buffers (batch-norm statistics) of the LensNet
//   "optimizer"  archive  optional: optimiser state (Adam moments, step counts, param groups)
//   "loop"       string   optional: the training loop's JSON (epoch, schedule and early-stopping
//                         state, metric history)
//   "rng_torch"  tensor   optional: state of LibTorch's default CPU generator
//   "rng_dropout" tensor  optional: state of the network's dropout generator
// Files are written to "<path>.tmp" and renamed over <path>, so a reader never sees half a file.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "lensforge/train/model_card.hpp"
#include "models.hpp"

namespace lensforge::train::torch_impl {

/// What a resumable checkpoint holds beyond the card and the weights.
struct ResumeState {
  torch::optim::Optimizer* optimizer = nullptr;  ///< saved / restored when non-null
  nlohmann::json loop;                           ///< the loop's counters and history
  torch::Tensor rng_torch;                       ///< default CPU generator state
  torch::Tensor rng_dropout;                     ///< LensNet's dropout generator state
};

/// Writes card + weights (+ state) atomically. Throws IoError naming the path on failure.
void save_checkpoint(const std::string& path, const ModelCard& card, LensNet& model, const ResumeState* state = nullptr);

/// An opened checkpoint file.
class CheckpointReader {
 public:
  /// Reads the file and its card. Throws IoError naming the file if it is missing or not a
  /// lensforge checkpoint.
  explicit CheckpointReader(const std::string& path);
  const ModelCard& card() const { return card_; }
  const std::string& path() const { return path_; }
  /// A LensNet built from the card's ModelSpec with the stored weights, on the CPU, in eval mode.
  LensNet load_model(std::uint64_t dropout_seed = 0);
  /// Copies the stored weights into `model` (same architecture; IoError otherwise).
  void load_weights(LensNet& model);
  /// Whether the file holds the resume state (optimizer, loop, generators).
  bool has_resume_state();
  /// Restores optimizer (if state.optimizer is set), loop and generator states.
  void load_resume_state(ResumeState& state);

 private:
  std::string path_;
  torch::serialize::InputArchive archive_;
  ModelCard card_;
};

}  // namespace lensforge::train::torch_impl
