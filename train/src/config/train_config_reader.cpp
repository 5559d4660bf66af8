// Reading training configs: YAML text -> overrides -> TrainConfig, with located errors.
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "config_enums.hpp"
#include "config_keys.hpp"
#include "config_overrides.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

namespace fs = std::filesystem;
using yamlmap::Context;
using yamlmap::Map;

namespace {

constexpr std::uint64_t kMaxSeed = std::uint64_t(std::numeric_limits<std::int64_t>::max());

class Reader {
 public:
  Reader(const Context& ctx, std::string base_dir) : ctx_(ctx), base_dir_(std::move(base_dir)) {}

  TrainConfig read(const YAML::Node& root_node) {
    TrainConfig c;
    const ConfigKeys& keys = train_config_keys();
    const Map root(ctx_, root_node, "", "a map of config keys");
    root.allow_only(keys.names(), "top-level key");

    const auto& out = root.require("output_dir", "give the folder for checkpoints and metrics (output_dir: DIR)");
    c.output_dir = resolve(out.value, yamlmap::read_string(ctx_, out.value, "output_dir"));

    const Map data(ctx_, root.require("data", "give data: {train: {file: ...}, validation: {file: ...}}").value, "data",
                   "a map {train, validation}");
    data.allow_only(keys.at("data").names(), "key of data");
    c.train = read_split(data.require("train", "give data.train: {file: DATA.h5} or {population: P.yaml, size: N}"),
                         "data.train", keys.at("data").at("train"));
    c.validation = read_split(
        data.require("validation", "give data.validation: {file: DATA.h5} or {population: P.yaml, seed: S, size: N}"),
        "data.validation", keys.at("data").at("validation"));

    if (auto m = section(root, "stack")) {
      if (auto v = strings(*m, "bands")) c.stack.bands = *v;
      if (auto v = word(*m, "grid", kBandGridWords)) c.stack.grid = *v;
      if (auto v = m->optional_number("pixel_scale")) c.stack.pixel_scale = *v;
      if (auto v = m->optional_integer("size")) c.stack.size = *v;
    }
    if (auto m = section(root, "preprocess")) {
      if (auto v = numbers(*m, "band_scale")) c.preprocess.band_scale = *v;
      if (auto v = m->optional_number("clip_low")) c.preprocess.clip_low = *v;
      if (auto v = m->optional_number("clip_high")) c.preprocess.clip_high = *v;
      if (auto v = word(*m, "stretch", kStretchWords)) c.preprocess.stretch = *v;
      if (auto v = m->optional_number("softening")) c.preprocess.softening = *v;
      if (auto v = word(*m, "normalisation", kNormalisationWords)) c.preprocess.normalisation = *v;
      if (auto v = m->optional_number("norm_low")) c.preprocess.norm_low = *v;
      if (auto v = m->optional_number("norm_high")) c.preprocess.norm_high = *v;
    }
    c.augment.vector_pairs = default_vector_pairs();
    c.augment.spin2_pairs = default_spin2_pairs();
    if (auto m = section(root, "augment")) {
      if (auto v = m->optional_bool("dihedral")) c.augment.dihedral = *v;
      if (auto v = m->optional_number("max_shift")) c.augment.max_shift = *v;
      if (auto v = m->optional_bool("noise_redraw")) c.augment.noise_redraw = *v;
      if (auto v = pairs(*m, "vector_pairs")) c.augment.vector_pairs = *v;
      if (auto v = pairs(*m, "spin2_pairs")) c.augment.spin2_pairs = *v;
    }
    if (auto m = section(root, "task")) {
      if (auto v = m->optional_bool("classify")) c.task.classify = *v;
      if (auto v = m->optional_number("positive_weight")) c.task.positive_weight = *v;
      if (auto v = strings(*m, "targets")) c.task.targets = *v;
      if (auto v = m->optional_bool("regress_positives_only")) c.task.regress_positives_only = *v;
    }
    if (auto m = section(root, "model")) {
      if (auto v = word(*m, "architecture", kArchitectureWords)) c.model.architecture = *v;
      if (auto v = integers(*m, "widths")) c.model.widths = *v;
      if (auto v = m->optional_integer("blocks_per_stage")) c.model.blocks_per_stage = *v;
      if (auto v = m->optional_integer("dense_units")) c.model.dense_units = *v;
      if (auto v = m->optional_number("dropout")) c.model.dropout = *v;
      if (auto v = m->optional_number("spatial_dropout")) c.model.spatial_dropout = *v;
      if (auto v = m->optional_bool("batch_norm")) c.model.batch_norm = *v;
    }
    if (auto m = section(root, "optim")) {
      if (auto v = word(*m, "optimizer", kOptimizerWords)) c.optim.kind = *v;
      if (auto v = m->optional_number("learning_rate")) c.optim.learning_rate = *v;
      if (auto v = m->optional_number("weight_decay")) c.optim.weight_decay = *v;
      if (auto v = m->optional_number("grad_clip")) c.optim.grad_clip = *v;
      if (auto v = word(*m, "schedule", kScheduleWords)) c.optim.schedule = *v;
      if (auto v = m->optional_integer("step_epochs")) c.optim.step_epochs = *v;
      if (auto v = m->optional_number("gamma")) c.optim.gamma = *v;
      if (auto v = m->optional_integer("plateau_patience")) c.optim.plateau_patience = *v;
      if (auto v = m->optional_number("min_learning_rate")) c.optim.min_learning_rate = *v;
      if (auto v = m->optional_integer("warmup_epochs")) c.optim.warmup_epochs = *v;
    }
    if (auto m = section(root, "loader")) {
      if (auto v = m->optional_integer("batch_size")) c.loader.batch_size = *v;
      if (auto v = m->optional_bool("shuffle")) c.loader.shuffle = *v;
      if (auto v = m->optional_bool("drop_last")) c.loader.drop_last = *v;
      if (auto v = m->optional_bool("balance_classes")) c.loader.balance_classes = *v;
      if (auto v = m->optional_integer("workers")) c.loader.workers = *v;
      if (auto v = m->optional_integer("prefetch")) c.loader.prefetch = *v;
    }
    if (auto v = root.optional_integer("epochs")) c.epochs = *v;
    if (auto m = section(root, "early_stopping")) {
      if (auto v = m->optional_integer("patience")) c.early_stopping_patience = *v;
      if (auto v = m->optional_number("min_delta")) c.min_delta = *v;
    }
    if (const auto* e = root.find("seed")) c.seed = read_seed(e->value, "seed");
    if (auto v = root.optional_integer("threads")) c.threads = *v;
    if (auto v = root.optional_string("device")) c.device = *v;

    // Derived settings (not keys of their own).
    c.model.classify = c.task.classify;
    c.model.num_targets = int(c.task.targets.size());
    c.loader.seed = c.seed;
    c.loader.augment = c.augment.dihedral || c.augment.max_shift > 0 || c.augment.noise_redraw;

    if (const std::string e = c.validate(); !e.empty()) fail_located(root_node, e);
    return c;
  }

 private:
  /// A path as written (relative to the config's folder) or as overridden (relative to the working
  /// directory), made absolute.
  std::string resolve(const YAML::Node& at, const std::string& p) const {
    if (p.empty()) return p;
    const fs::path base = ctx_.origin(at) ? fs::path() : fs::path(base_dir_);
    const fs::path full = fs::path(p).is_absolute() ? fs::path(p) : base / p;
    return fs::absolute(full).lexically_normal().string();
  }

  std::optional<Map> section(const Map& parent, const std::string& key) const {
    const auto* e = parent.find(key);
    if (!e) return std::nullopt;
    const ConfigKeys& keys = train_config_keys().at(key);
    Map m(ctx_, e->value, parent.child(key), fmt::format("a map with keys {}", fmt::join(keys.names(), ", ")));
    m.allow_only(keys.names(), "key of " + parent.child(key));
    return m;
  }

  DataSpec read_split(const Map::Entry& entry, const std::string& path, const ConfigKeys& keys) const {
    const Map m(ctx_, entry.value, path, "a map {file} or {population, seed, size}");
    m.allow_only(keys.names(), "key of " + path);
    m.at_most_one({"file", "population"},
                  "give file (an HDF5 data set) or population (a generator config, simulated online), not both");
    DataSpec d;
    if (const auto* f = m.find("file")) d.file = resolve(f->value, yamlmap::read_string(ctx_, f->value, m.child("file")));
    if (const auto* p = m.find("population"))
      d.population = resolve(p->value, yamlmap::read_string(ctx_, p->value, m.child("population")));
    if (const auto* s = m.find("seed")) {
      if (m.has("file"))
        ctx_.fail(s->key_node, fmt::format("{}: applies to online data (population) only; a file's images are fixed",
                                           m.child("seed")));
      d.seed = read_seed(s->value, m.child("seed"));
    }
    if (const auto* s = m.find("size")) {
      const double v = yamlmap::read_number(ctx_, s->value, m.child("size"));
      if (v != std::floor(v) || v < 0 || v > 1e9)
        ctx_.fail(s->value, fmt::format("{}: expected a whole number of images in [0, 1e9], found {}", m.child("size"),
                                        yamlmap::describe(s->value)));
      d.size = std::int64_t(v);
    }
    return d;
  }

  std::uint64_t read_seed(const YAML::Node& n, const std::string& path) const {
    const std::string s = n.IsScalar() && n.Tag() != "!" ? n.Scalar() : std::string();
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > kMaxSeed)
      ctx_.fail(n, fmt::format("{}: expected an integer in [0, 2^63 - 1], found {}", path, yamlmap::describe(n)));
    return v;
  }

  const YAML::Node* list(const Map& m, const std::string& key, const std::string& expected) const {
    const auto* e = m.find(key);
    if (!e) return nullptr;
    if (!e->value.IsSequence())
      ctx_.fail(e->value, fmt::format("{}: expected {}, found {}", m.child(key), expected, yamlmap::describe(e->value)));
    return &e->value;
  }

  std::optional<std::vector<std::string>> strings(const Map& m, const std::string& key) const {
    const YAML::Node* l = list(m, key, "a list of names, e.g. [a, b]");
    if (!l) return std::nullopt;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < l->size(); ++i)
      out.push_back(yamlmap::read_string(ctx_, (*l)[i], fmt::format("{}[{}]", m.child(key), i)));
    return out;
  }

  std::optional<std::vector<double>> numbers(const Map& m, const std::string& key) const {
    const YAML::Node* l = list(m, key, "a list of numbers, e.g. [1, 0.5]");
    if (!l) return std::nullopt;
    std::vector<double> out;
    for (std::size_t i = 0; i < l->size(); ++i)
      out.push_back(yamlmap::read_number(ctx_, (*l)[i], fmt::format("{}[{}]", m.child(key), i)));
    return out;
  }

  std::optional<std::vector<int>> integers(const Map& m, const std::string& key) const {
    const YAML::Node* l = list(m, key, "a list of integers, e.g. [16, 32]");
    if (!l) return std::nullopt;
    std::vector<int> out;
    for (std::size_t i = 0; i < l->size(); ++i)
      out.push_back(yamlmap::read_integer(ctx_, (*l)[i], fmt::format("{}[{}]", m.child(key), i)));
    return out;
  }

  std::optional<std::vector<std::pair<std::string, std::string>>> pairs(const Map& m, const std::string& key) const {
    const YAML::Node* l = list(m, key, "a list of column pairs, e.g. [[lens_e1, lens_e2]]");
    if (!l) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < l->size(); ++i) {
      const std::string path = fmt::format("{}[{}]", m.child(key), i);
      const YAML::Node p = (*l)[i];
      if (!p.IsSequence() || p.size() != 2)
        ctx_.fail(p, fmt::format("{}: expected a pair of label columns [x, y], found {}", path, yamlmap::describe(p)));
      out.emplace_back(yamlmap::read_string(ctx_, p[0], path + "[0]"), yamlmap::read_string(ctx_, p[1], path + "[1]"));
    }
    return out;
  }

  template <class E, std::size_t N>
  std::optional<E> word(const Map& m, const std::string& key, const std::array<EnumWord<E>, N>& table) const {
    const auto* e = m.find(key);
    if (!e) return std::nullopt;
    const std::string given = yamlmap::read_string(ctx_, e->value, m.child(key));
    std::string low = given;
    for (char& ch : low) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    for (const auto& w : table)
      if (low == w.word) return w.value;
    const auto words = enum_words(table);
    ctx_.fail(e->value, fmt::format("{}: unknown value '{}'; {}allowed: {}", m.child(key), given,
                                    yamlmap::did_you_mean(given, words), fmt::join(words, ", ")));
  }

  /// Fails with `message` ("key.path = value; allowed: ...") at the node its leading key path
  /// names, as deep as the tree holds it (a default value that is invalid is reported at its
  /// section, or without a line when the section is absent).
  [[noreturn]] void fail_located(const YAML::Node& root, const std::string& message) const {
    const auto end = message.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
    const std::string path = message.substr(0, end);
    YAML::Node at;
    at.reset(root);
    bool found = false;
    std::size_t pos = 0;
    while (pos <= path.size() && at.IsMap()) {
      const auto dot = path.find('.', pos);
      const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      const YAML::Node& parent = at;
      const YAML::Node child = parent[part];
      if (part.empty() || !child.IsDefined()) break;
      at.reset(child);
      found = true;
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    if (!found) throw ConfigError(fmt::format("{}: {}", ctx_.file(), message));
    ctx_.fail(at, message);
  }

  const Context& ctx_;
  std::string base_dir_;
};

}  // namespace

TrainConfig parse_train_config(const std::string& yaml_text, const std::string& source_name, const std::string& base_dir,
                               const std::vector<std::string>& overrides) {
  Context ctx(source_name);
  YAML::Node root = yamlmap::load_document(ctx, yaml_text);
  if (!root.IsMap())
    ctx.fail(root, fmt::format("config: expected a map of config keys, found {}", yamlmap::describe(root)));
  apply_overrides(ctx, root, train_config_keys(), overrides);
  TrainConfig c = Reader(ctx, base_dir).read(root);
  c.path = source_name;
  c.yaml_text = to_yaml(c);
  return c;
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec))
    throw IoError(fmt::format("cannot read training config '{}': {}", path,
                              fs::is_directory(path, ec) ? "it is a folder" : std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_train_config(text.str(), path, fs::path(path).parent_path().string(), overrides);
}

}  // namespace lensforge::train
