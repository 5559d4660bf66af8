#pragma once
// The training loop (implemented with LibTorch; this header is torch-free).
//
//   output_dir/last.pt   checkpoint after every epoch (model, optimiser, scheduler, RNG, epoch)
//   output_dir/best.pt   checkpoint of the epoch with the lowest validation loss
//   output_dir/metrics.csv, metrics.json   one row per epoch (losses, accuracy, AUROC, lr, time)
//   output_dir/train.log  what was printed
// resume: continues from last.pt to the same weights an uninterrupted run reaches.
// A non-finite loss stops the run (stop_reason says at which epoch and batch); best.pt and last.pt
// keep the last good state.
//
// Details (train/src/torch/trainer.cpp):
//   - config.validate() first (ConfigError); the model's input shape from stacked_shape(), its heads
//     from the task; target scaling fitted on the training source (online: its first 1000 images)
//     and, on resume, taken from last.pt.
//   - Seeds: torch::manual_seed(config.seed) before the weights are initialised; dropout masks from
//     the network's own generator seeded from config.seed; the training loader's seed is
//     config.seed (config.loader.seed is not used) and it augments with config.augment; the
//     validation loader neither shuffles, balances nor augments, and sees the same examples
//     every epoch.
//   - Learning rate set at the start of every epoch (train/src/torch/lr_schedule.hpp).
//   - Validation loss = mean BCE + mean Gaussian NLL (train/src/torch/losses.hpp); accuracy at
//     logit 0, AUROC from ranks. best.pt: lowest validation loss; early stopping counts epochs
//     whose loss is not below the best so far by more than min_delta.
//   - Exact resume: last.pt holds the optimiser state, schedule and early-stopping counters, the
//     metric history and both generators' states; on the CPU with the same thread count a resumed
//     run reaches bit-identical weights (tests/torch/test_trainer.cpp).
#include <functional>
#include <string>

#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

struct FitOptions {
  bool resume = false;       ///< continue from output_dir/last.pt (error if absent or for another config)
  bool overwrite = false;    ///< allow a non-empty output_dir without resume
  bool progress = true;      ///< progress bar on stderr when it is a terminal, log lines otherwise
  int max_batches = 0;       ///< stop each epoch after this many batches (tests, benchmarks), 0: all
};

struct FitResult {
  int epochs_completed = 0;
  int best_epoch = -1;
  double best_val_loss = 0.0;
  std::string best_checkpoint;
  std::string last_checkpoint;
  std::string stop_reason;   ///< "completed N epochs", "early stopping: ...", "non-finite loss at ..."
  bool ok = true;            ///< false when stopped by a non-finite loss
};

FitResult fit(const TrainConfig& config, const FitOptions& options = {});

/// Whether this LibTorch build can use CUDA and a device is present.
bool cuda_available();

}  // namespace lensforge::train
