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
  int best_epoch = -1;        ///< 1-based epoch of best.pt, -1: none
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
