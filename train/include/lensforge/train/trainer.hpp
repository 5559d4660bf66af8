#pragma once
// The training loop (implemented with LibTorch; this header is torch-free).
//
//   output_dir/last.pt   checkpoint after every epoch (model, optimiser, scheduler, RNG, epoch)
//   output_dir/best.pt   checkpoint of the epoch with the lowest validation loss
//   output_dir/metrics.csv, metrics.json   one row per epoch: epoch, lr, train_loss/bce/nll (means
//                         over the epoch's batches), val_loss/bce/nll, val_accuracy, val_auroc,
//                         seconds (the epoch with validation), images_per_second (training only)
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
//     config.seed (config.loader.seed is not used) and it augments with config.augment when
//     config.loader.augment (derived from the augment section by the config reader); the
//     validation loader neither shuffles, balances nor augments, and sees the same examples
//     every epoch.
//   - Learning rate set at the start of every epoch (train/src/torch/lr_schedule.hpp).
//   - Validation loss = mean BCE + mean Gaussian NLL (train/src/torch/losses.hpp); accuracy at
//     logit 0, AUROC from ranks. best.pt: lowest validation loss; early stopping counts epochs
//     whose loss is not below the best so far by more than min_delta.
//   - Exact resume: last.pt holds the optimiser state, schedule and early-stopping counters, the
//     metric history and both generators' states; on the CPU with the same thread count a resumed
//     run reaches bit-identical weights (tests/torch/test_trainer.cpp).
//
// Several processes (options.distributed.world_size W > 1; c10d/gloo, CPU only):
//   - loader.batch_size is the global batch and must be a multiple of W; process r prepares the
//     contiguous part r of every batch (LoaderOptions::shard_rank), so the order and augmentation
//     of the examples are those of one process.
//   - Each process's loss is its examples' sums divided by the global batch's counts (images;
//     regression entries that count, all-reduced before the forward pass); the gradients are
//     all-reduced (summed), so every process steps with the gradient of the global-batch mean loss
//     and the weights stay equal. Dropout masks are drawn for the whole batch on every process
//     (DropoutControl::global_rows), so they are the single-process masks.
//   - Batch norm normalises with each process's own batch statistics (like PyTorch DDP without
//     SyncBatchNorm): a model with batch norm trains like one whose BN batches are batch_size / W;
//     after every step the running statistics are averaged over the processes (weighted by their
//     examples). Without batch norm the weights match one process's to rounding.
//   - Validation: each process a part of the validation set; loss sums and the scores for
//     accuracy and AUROC are all-reduced, so the metrics are those of the whole set and the
//     best.pt / early-stopping decisions (on process 0's loss, broadcast) the same everywhere.
//   - Only process 0 writes last.pt, best.pt, metrics and train.log and prints progress; resume
//     reads last.pt on every process.
#include <functional>
#include <string>

#include "lensforge/train/distributed.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

struct FitOptions {
  bool resume = false;       ///< continue from output_dir/last.pt (error if absent or for another config)
  bool overwrite = false;    ///< allow a non-empty output_dir without resume
  bool progress = true;      ///< progress bar on stderr when it is a terminal, log lines otherwise
  int max_batches = 0;       ///< stop each epoch after this many batches (tests, benchmarks), 0: all
  /// Data-parallel training (see "Several processes" above); world_size 1: this process alone.
  DistributedOptions distributed;
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
