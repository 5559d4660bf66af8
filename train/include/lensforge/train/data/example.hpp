#pragma once
// What flows from a data source to a model: one example (bands stacked into channels) and batches
// of them. Torch-free: batches are float32 buffers that the torch side wraps without copying.
#include <cstdint>
#include <vector>

namespace lensforge::train {

/// Shape of one model input: channels x height x width (float32, row-major; batches are NCHW).
struct InputShape {
  int channels = 0;  ///< one per band, [1, 64]
  int height = 0;    ///< rows (y), px, [1, 4096]
  int width = 0;     ///< columns (x), px, [1, 4096]
  std::int64_t numel() const { return std::int64_t(channels) * height * width; }
  bool operator==(const InputShape&) const = default;
};

/// One example as a model sees it, before batching.
struct Example {
  std::int64_t index = -1;      ///< its index in the source (dataset row, or online image index)
  std::vector<float> pixels;    ///< [C, H, W], preprocessed (and augmented when training)
  float label = 0.f;            ///< class: 1 lens-like positive, 0 negative (label column "class")
  /// Regression targets in TaskSpec::targets order, in physical units (after augmentation's label
  /// transforms, before standardisation); NaN where a target does not apply (e.g. theta_E of a
  /// non-lens): such entries are masked out of the loss.
  std::vector<double> targets;
};

/// A batch of examples, in the order the loader chose.
struct Batch {
  InputShape shape;
  std::vector<std::int64_t> indices;  ///< [n] source indices
  std::vector<float> images;          ///< [n, C, H, W]
  std::vector<float> labels;          ///< [n] class 0/1
  std::vector<float> targets;         ///< [n, T] standardised (TargetScaler); NaN where missing
  int num_targets = 0;                ///< T
  /// Where this batch lies in the epoch (LoaderOptions::shard_count > 1: the whole global batch
  /// spans [global_first, global_first + global_size) and this part begins at global_first +
  /// offset); without sharding offset = 0 and global_size = size().
  std::int64_t global_first = 0, global_size = 0, offset = 0;
  std::int64_t size() const { return std::int64_t(indices.size()); }
};

}  // namespace lensforge::train
