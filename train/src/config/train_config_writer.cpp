// Writing training configs as canonical YAML (the effective config stored in checkpoints).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config_enums.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

namespace {

/// Shortest text that reads back as the same double ("0.001", "1e-09").
std::string number(double v) { return fmt::format("{}", v); }

template <class T>
void key(YAML::Emitter& out, const char* name, const T& value) {
  out << YAML::Key << name << YAML::Value << value;
}

void key_number(YAML::Emitter& out, const char* name, double value) { key(out, name, number(value)); }

void split(YAML::Emitter& out, const char* name, const DataSpec& d) {
  out << YAML::Key << name << YAML::Value << YAML::BeginMap;
  if (d.online()) {
    key(out, "population", d.population);
    key(out, "seed", fmt::format("{}", d.seed));
  } else {
    key(out, "file", d.file);
  }
  key(out, "size", fmt::format("{}", d.size));
  out << YAML::EndMap;
}

void pairs(YAML::Emitter& out, const char* name, const std::vector<std::pair<std::string, std::string>>& ps) {
  out << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& [a, b] : ps) out << YAML::Flow << YAML::BeginSeq << a << b << YAML::EndSeq;
  out << YAML::EndSeq;
}

}  // namespace

std::string to_yaml(const TrainConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  key(out, "output_dir", c.output_dir);

  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  split(out, "train", c.train);
  split(out, "validation", c.validation);
  out << YAML::EndMap;

  out << YAML::Key << "stack" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bands" << YAML::Value << YAML::Flow << c.stack.bands;
  key(out, "grid", enum_word(kBandGridWords, c.stack.grid));
  key_number(out, "pixel_scale", c.stack.pixel_scale);
  key(out, "size", c.stack.size);
  out << YAML::EndMap;

  const PreprocessSpec& p = c.preprocess;
  out << YAML::Key << "preprocess" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "band_scale" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (double s : p.band_scale) out << number(s);
  out << YAML::EndSeq;
  key_number(out, "clip_low", p.clip_low);
  key_number(out, "clip_high", p.clip_high);
  key(out, "stretch", enum_word(kStretchWords, p.stretch));
  key_number(out, "softening", p.softening);
  key(out, "normalisation", enum_word(kNormalisationWords, p.normalisation));
  key_number(out, "norm_low", p.norm_low);
  key_number(out, "norm_high", p.norm_high);
  out << YAML::EndMap;

  out << YAML::Key << "augment" << YAML::Value << YAML::BeginMap;
  key(out, "dihedral", c.augment.dihedral);
  key_number(out, "max_shift", c.augment.max_shift);
  key(out, "noise_redraw", c.augment.noise_redraw);
  pairs(out, "vector_pairs", c.augment.vector_pairs);
  pairs(out, "spin2_pairs", c.augment.spin2_pairs);
  out << YAML::EndMap;

  out << YAML::Key << "task" << YAML::Value << YAML::BeginMap;
  key(out, "classify", c.task.classify);
  key_number(out, "positive_weight", c.task.positive_weight);
  out << YAML::Key << "targets" << YAML::Value << YAML::Flow << c.task.targets;
  key(out, "regress_positives_only", c.task.regress_positives_only);
  out << YAML::EndMap;

  const ModelSpec& m = c.model;
  out << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
  key(out, "architecture", enum_word(kArchitectureWords, m.architecture));
  out << YAML::Key << "widths" << YAML::Value << YAML::Flow << m.widths;
  key(out, "blocks_per_stage", m.blocks_per_stage);
  key(out, "dense_units", m.dense_units);
  key_number(out, "dropout", m.dropout);
  key_number(out, "spatial_dropout", m.spatial_dropout);
  key(out, "batch_norm", m.batch_norm);
  out << YAML::EndMap;

  const OptimSpec& o = c.optim;
  out << YAML::Key << "optim" << YAML::Value << YAML::BeginMap;
  key(out, "optimizer", enum_word(kOptimizerWords, o.kind));
  key_number(out, "learning_rate", o.learning_rate);
  key_number(out, "weight_decay", o.weight_decay);
  key_number(out, "grad_clip", o.grad_clip);
  key(out, "schedule", enum_word(kScheduleWords, o.schedule));
  key(out, "step_epochs", o.step_epochs);
  key_number(out, "gamma", o.gamma);
  key(out, "plateau_patience", o.plateau_patience);
  key_number(out, "min_learning_rate", o.min_learning_rate);
  key(out, "warmup_epochs", o.warmup_epochs);
  out << YAML::EndMap;

  const LoaderOptions& l = c.loader;
  out << YAML::Key << "loader" << YAML::Value << YAML::BeginMap;
  key(out, "batch_size", l.batch_size);
  key(out, "shuffle", l.shuffle);
  key(out, "drop_last", l.drop_last);
  key(out, "balance_classes", l.balance_classes);
  key(out, "workers", l.workers);
  key(out, "prefetch", l.prefetch);
  out << YAML::EndMap;

  key(out, "epochs", c.epochs);
  out << YAML::Key << "early_stopping" << YAML::Value << YAML::BeginMap;
  key(out, "patience", c.early_stopping_patience);
  key_number(out, "min_delta", c.min_delta);
  out << YAML::EndMap;
  key(out, "seed", fmt::format("{}", c.seed));
  key(out, "threads", c.threads);
  key(out, "device", c.device);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace lensforge::train
