#include "lensforge/train/data/example_preparer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/data/preprocess.hpp"

namespace lensforge::train {

namespace {

std::optional<std::size_t> find_column(const std::vector<std::string>& columns, const std::string& name) {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) return std::nullopt;
  return std::size_t(it - columns.begin());
}

// The partner of `name` in a pair, if it is in one.
std::optional<std::string> partner(const std::vector<std::pair<std::string, std::string>>& pairs,
                                   const std::string& name) {
  for (const auto& [a, b] : pairs) {
    if (a == name) return b;
    if (b == name) return a;
  }
  return std::nullopt;
}

}  // namespace

ExamplePreparer::ExamplePreparer(const std::vector<BandSchema>& bands, const std::vector<std::string>& columns,
                                 StackSpec stack, PreprocessSpec preprocess, TaskSpec task,
                                 std::optional<AugmentSpec> augment)
    : bands_(bands),
      num_columns_(columns.size()),
      stacker_(stack, bands),
      preprocess_(std::move(preprocess)),
      augment_(std::move(augment)) {
  if (auto e = preprocess_.validate(); !e.empty()) throw ConfigError("preprocess." + e);
  if (auto e = task.validate(); !e.empty()) throw ConfigError("task." + e);
  if (augment_) {
    if (auto e = augment_->validate(); !e.empty()) throw ConfigError("augment." + e);
    if (augment_->dihedral && shape().height != shape().width)
      throw ConfigError(
          fmt::format("augment.dihedral needs square images; the stacked images are {}x{} px (set "
                      "stack.size or grid: finest)",
                      shape().height, shape().width));
    pairs_ = label_pairs(*augment_, columns);
  }
  if (!preprocess_.band_scale.empty() && preprocess_.band_scale.size() != std::size_t(shape().channels))
    throw ConfigError(fmt::format("preprocess.band_scale: {} values for {} bands (give one per band or none)",
                                  preprocess_.band_scale.size(), shape().channels));
  class_column_ = find_column(columns, "class");
  for (const std::string& t : task.targets) {
    const auto k = find_column(columns, t);
    if (!k)
      throw ConfigError(
          fmt::format("task.targets: column '{}' is not among the source's columns ({})", t, fmt::join(columns, ", ")));
    target_columns_.push_back(*k);
    if (augment_)
      for (const auto* pairs : {&augment_->vector_pairs, &augment_->spin2_pairs})
        if (const auto p = partner(*pairs, t); p && !find_column(columns, *p))
          throw ConfigError(fmt::format(
              "task.targets: '{}' transforms together with '{}' under augmentation, which the source does not read "
              "(open it with required_columns())",
              t, *p));
  }
}

Example ExamplePreparer::prepare(const RawExample& raw, Rng* rng) const {
  if (raw.bands.size() != bands_.size())
    throw ConfigError(
        fmt::format("example {}: {} bands, the source has {}", raw.index, raw.bands.size(), bands_.size()));
  if (raw.values.size() != num_columns_)
    throw ConfigError(fmt::format("example {}: {} label values, the source has {} columns", raw.index,
                                  raw.values.size(), num_columns_));
  const bool augmenting = augment_ && rng != nullptr;
  Example ex;
  ex.index = raw.index;
  ex.pixels.resize(std::size_t(shape().numel()));
  if (augmenting && augment_->noise_redraw) {
    if (raw.noiseless.size() != bands_.size() || raw.sigma.size() != bands_.size())
      throw ConfigError("augment.noise_redraw needs the noiseless and sigma planes: open the source with noise_planes");
    std::vector<ImageF> redrawn(bands_.size());
    const Rng noise = rng->split(kNoiseTag);
    for (std::size_t b : stacker_.band_indices()) {
      Rng r = noise.split(b);
      redrawn[b] = redraw_noise(raw.noiseless[b], raw.sigma[b], r);
    }
    stacker_.stack(redrawn, ex.pixels.data());
  } else {
    stacker_.stack(raw.bands, ex.pixels.data());
  }
  std::vector<double> values = raw.values;
  if (augmenting) {
    Rng r = rng->split(kGeometryTag);
    const AugmentDraw d = draw_augmentation(*augment_, r);
    shift_image(ex.pixels.data(), shape(), d.shift_x, d.shift_y);
    apply_dihedral(ex.pixels.data(), shape(), d.rotations, d.flip);
    transform_labels(values, pairs_, d, stacker_.pixel_scale());
  }
  preprocess(ex.pixels.data(), shape(), preprocess_);
  ex.label = class_column_ ? float(values[*class_column_]) : 0.0f;
  for (std::size_t k : target_columns_) ex.targets.push_back(values[k]);
  return ex;
}

Example prepare_example(const RawExample& raw, const std::vector<BandSchema>& bands,
                        const std::vector<std::string>& columns, const StackSpec& stack,
                        const PreprocessSpec& preprocess, const TaskSpec& task, const AugmentSpec* augment, Rng* rng) {
  const ExamplePreparer p(bands, columns, stack, preprocess, task,
                          augment ? std::optional<AugmentSpec>(*augment) : std::nullopt);
  return p.prepare(raw, rng);
}

InputShape stacked_shape(const StackSpec& stack, const std::vector<BandSchema>& bands) {
  return BandStacker(stack, bands).shape();
}

std::vector<std::string> required_columns(const TaskSpec& task, const AugmentSpec* augment) {
  std::vector<std::string> c;
  auto add = [&](const std::string& name) {
    if (std::find(c.begin(), c.end(), name) == c.end()) c.push_back(name);
  };
  add("class");
  for (const std::string& t : task.targets) {
    add(t);
    if (augment)
      for (const auto* pairs : {&augment->vector_pairs, &augment->spin2_pairs})
        if (const auto p = partner(*pairs, t)) add(*p);
  }
  return c;
}

}  // namespace lensforge::train
