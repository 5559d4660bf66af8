#pragma once
// Learning rate per epoch, set on the optimiser's parameter groups at the start of each epoch
// (works the same on LibTorch 1.13 and 2.x, which differ in their scheduler classes). Private to
// lensforge::train.
//
//   warm-up   epochs e < W = warmup_epochs: the schedule's rate times (e + 1) / (W + 1)
//   CONSTANT  learning_rate
//   STEP      learning_rate * gamma^floor((e - W) / step_epochs)
//   COSINE    min + (learning_rate - min) * (1 + cos(pi * (e - W) / (epochs - W))) / 2
//   PLATEAU   learning_rate * gamma^k, k the number of decays so far: after each validation that
//             does not improve on the best loss so far, a counter grows, and once it exceeds
//             plateau_patience the rate decays and the counter restarts (as torch's
//             ReduceLROnPlateau with threshold 0); never below min_learning_rate.
#include <nlohmann/json.hpp>

#include "lensforge/train/train_config.hpp"

namespace lensforge::train::torch_impl {

class LrSchedule {
 public:
  LrSchedule(const OptimSpec& spec, int epochs);
  /// Rate of epoch `epoch` (0-based).
  double lr(int epoch) const;
  /// Records the validation loss of an epoch (PLATEAU only; others ignore it).
  void observe(double val_loss);
  /// State for a resumable checkpoint, and its restoration.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  OptimSpec spec_;
  int epochs_;
  double plateau_best_;
  int plateau_bad_ = 0;
  int plateau_decays_ = 0;
};

}  // namespace lensforge::train::torch_impl
