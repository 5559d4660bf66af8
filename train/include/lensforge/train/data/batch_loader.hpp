#pragma once
// Turns an ExampleSource into batches: stacking, noise re-draw, augmentation, preprocessing and
// target standardisation run on background worker threads, `prefetch` batches ahead of the model.
//
// Reproducibility: the order of epoch e is a function of (seed, e) only (a permutation of the
// file's rows, or the online indices [e * N, (e + 1) * N)); the augmentation of the example at
// position p of epoch e draws from Rng(seed, e).split(p). Batches are therefore bit-identical for
// any number of workers, and start_epoch(e, b) resumes exactly where batch b of epoch e begins.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

struct LoaderOptions {
  int batch_size = 64;        ///< [1, 65536]
  bool shuffle = true;        ///< files: permute rows every epoch (online sources are already random)
  bool drop_last = false;     ///< drop a final partial batch
  /// Every batch half positives, half negatives, drawn with replacement within each class in an
  /// order fixed by (seed, epoch); an epoch keeps size() / batch_size batches.
  bool balance_classes = false;
  bool augment = false;       ///< apply AugmentSpec (training only)
  int workers = 2;            ///< threads preparing examples, [1, 256]
  int prefetch = 4;           ///< batches prepared ahead, [1, 256]
  std::uint64_t seed = 0;
  /// Data-parallel training: this process delivers only part shard_rank of every batch, the
  /// contiguous positions [floor(r n / K), floor((r + 1) n / K)) of a batch of n (K = shard_count),
  /// with the order and augmentation of the whole batch, so K loaders together deliver exactly
  /// the batches of one unsharded loader. shard_rank in [0, shard_count), shard_count in [1, 65536].
  int shard_rank = 0;
  int shard_count = 1;
  std::string validate() const;
};

/// Stacks, (re-draws noise,) augments and preprocesses one raw example (steps and random streams in
/// example_preparer.hpp; an ExamplePreparer does the set-up once for many examples). It augments
/// when both `augment` and `rng` are non-null. `bands` are the source's bands, `columns` its
/// columns (RawExample::values order); the label comes from column "class" when present (else 0),
/// targets from task.targets (transformed with the image by the augmentation's vector and spin-2
/// pairs).
Example prepare_example(const RawExample& raw, const std::vector<BandSchema>& bands,
                        const std::vector<std::string>& columns, const StackSpec& stack,
                        const PreprocessSpec& preprocess, const TaskSpec& task, const AugmentSpec* augment,
                        Rng* rng);

/// The label columns to open a source with (SourceOptions::columns) for this task: "class", the
/// targets, and with `augment` the partners of targets in its vector and spin-2 pairs (a pair is
/// transformed only when both of its columns are read).
std::vector<std::string> required_columns(const TaskSpec& task, const AugmentSpec* augment);

/// Shape of prepared examples for these bands.
InputShape stacked_shape(const StackSpec& stack, const std::vector<BandSchema>& bands);

/// Mean and standard deviation of each target over the source's examples where it is finite
/// (positives only when task.regress_positives_only), from the first min(size, max_examples) of
/// them (ExampleSource::labels: files read no images; online sources simulate each example, in
/// parallel, so give them a small max_examples). A target of zero spread gets scale 1. Throws
/// ConfigError if a target (or "class", for positives only) is not a column, or has no finite value.
TargetScaling fit_target_scaling(const ExampleSource& source, const TaskSpec& task, std::int64_t max_examples = 100000);

class BatchLoader {
 public:
  BatchLoader(std::shared_ptr<const ExampleSource> source, StackSpec stack, PreprocessSpec preprocess, TaskSpec task,
              TargetScaling scaling, AugmentSpec augment, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  InputShape shape() const;
  std::int64_t batches_per_epoch() const;
  const ExampleSource& source() const;
  /// Begins epoch `epoch` (>= 0) at batch `first_batch`; stops any epoch in flight.
  void start_epoch(int epoch, std::int64_t first_batch = 0);
  /// The next batch of the current epoch, or nullopt after its last. Rethrows a worker's error.
  std::optional<Batch> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lensforge::train
