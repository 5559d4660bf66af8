#include "config_keys.hpp"

#include <cassert>

namespace lensforge::train {

const ConfigKeys* ConfigKeys::find(const std::string& key) const {
  for (const auto& c : children)
    if (c.name == key) return &c;
  return nullptr;
}

std::vector<std::string> ConfigKeys::names() const {
  std::vector<std::string> out;
  for (const auto& c : children) out.push_back(c.name);
  return out;
}

const ConfigKeys& ConfigKeys::at(const std::string& key) const {
  const ConfigKeys* c = find(key);
  assert(c && "key missing from train_config_keys()");
  return *c;
}

namespace {

ConfigKeys section(std::string name, std::vector<std::string> values) {
  ConfigKeys s{std::move(name), {}};
  for (auto& v : values) s.children.push_back({std::move(v), {}});
  return s;
}

ConfigKeys make_keys() {
  const std::vector<std::string> split = {"file", "population", "seed", "size"};
  return ConfigKeys{
      "",
      {
          {"output_dir", {}},
          {"data", {section("train", split), section("validation", split)}},
          section("stack", {"bands", "grid", "pixel_scale", "size"}),
          section("preprocess", {"band_scale", "clip_low", "clip_high", "stretch", "softening", "normalisation",
                                 "norm_low", "norm_high"}),
          section("augment", {"dihedral", "max_shift", "noise_redraw", "vector_pairs", "spin2_pairs"}),
          section("task", {"classify", "positive_weight", "targets", "regress_positives_only"}),
          section("model", {"architecture", "widths", "blocks_per_stage", "dense_units", "dropout", "spatial_dropout",
                            "batch_norm"}),
          section("optim", {"optimizer", "learning_rate", "weight_decay", "grad_clip", "schedule", "step_epochs",
                            "gamma", "plateau_patience", "min_learning_rate", "warmup_epochs"}),
          section("loader", {"batch_size", "shuffle", "drop_last", "balance_classes", "workers", "prefetch"}),
          {"epochs", {}},
          section("early_stopping", {"patience", "min_delta"}),
          {"seed", {}},
          {"threads", {}},
          {"device", {}},
      }};
}

}  // namespace

const ConfigKeys& train_config_keys() {
  static const ConfigKeys keys = make_keys();
  return keys;
}

}  // namespace lensforge::train
