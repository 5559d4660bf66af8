// Reading experiment files (lensforge/train/experiment_config.hpp) with located errors.
#include "lensforge/train/experiment_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "config/yaml_map.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

namespace fs = std::filesystem;
using yamlmap::Context;
using yamlmap::Map;

namespace {

class Reader {
 public:
  Reader(const Context& ctx, std::string base_dir) : ctx_(ctx), base_dir_(std::move(base_dir)) {}

  ExperimentConfig read(const YAML::Node& node) {
    ExperimentConfig c;
    const Map root(ctx_, node, "", "a map {title, output_dir, threads, datasets, models, evaluations, headline}");
    root.allow_only({"title", "output_dir", "threads", "datasets", "models", "evaluations", "headline"},
                    "top-level key");
    c.title = root.optional_string("title").value_or("lensforge experiment");
    const auto& out = root.require("output_dir", "give the folder for data sets, models and reports");
    c.output_dir = resolve(yamlmap::read_string(ctx_, out.value, "output_dir"));
    if (auto t = root.optional_integer("threads")) {
      if (*t < 0 || *t > 4096) ctx_.fail(root.find("threads")->value, fmt::format("threads = {}; allowed: [0, 4096], 0: all cores", *t));
      c.threads = *t;
    }

    const Map datasets(ctx_, root.require("datasets", "give datasets: {name: {population, count, seed}}").value,
                       "datasets", "a map {name: {population, count, seed, set}}");
    for (const auto& e : datasets.entries()) {
      const Map m(ctx_, e.value, datasets.child(e.key), "a map {population, count, seed, set}");
      m.allow_only({"population", "count", "seed", "set"}, "key of a data set");
      ExperimentDataset d;
      d.name = name(e);
      d.population = resolve(yamlmap::read_string(ctx_, m.require("population", "the generator config").value, m.child("population")));
      const auto& n = m.require("count", "the number of images");
      const double count = yamlmap::read_number(ctx_, n.value, m.child("count"));
      if (!(count >= 1 && count <= 1e9 && count == std::floor(count)))
        ctx_.fail(n.value, fmt::format("{} = {}; allowed: a whole number of images in [1, 1e9]", m.child("count"), count));
      d.count = std::int64_t(count);
      if (auto s = m.optional_integer("seed")) {
        if (*s < 0) ctx_.fail(m.find("seed")->value, fmt::format("{} = {}; allowed: >= 0", m.child("seed"), *s));
        d.seed = std::uint64_t(*s);
      }
      d.overrides = strings(m, "set");
      c.datasets.push_back(std::move(d));
    }

    if (const auto* models = root.find("models")) {
      const Map mm(ctx_, models->value, "models", "a map {name: {config, train, validation, set}}");
      for (const auto& e : mm.entries()) {
        const Map m(ctx_, e.value, mm.child(e.key), "a map {config, train, validation, set}");
        m.allow_only({"config", "train", "validation", "set"}, "key of a model");
        ExperimentModel md;
        md.name = name(e);
        md.config = resolve(yamlmap::read_string(ctx_, m.require("config", "the training config").value, m.child("config")));
        md.train = dataset_ref(c, m, "train");
        md.validation = dataset_ref(c, m, "validation");
        md.overrides = strings(m, "set");
        c.models.push_back(std::move(md));
      }
    }

    if (const auto* evals = root.find("evaluations")) {
      const Map em(ctx_, evals->value, "evaluations", "a map {name: {model, sets, validation, mc_samples}}");
      for (const auto& e : em.entries()) {
        const Map m(ctx_, e.value, em.child(e.key), "a map {model, sets, validation, mc_samples}");
        m.allow_only({"model", "sets", "validation", "mc_samples"}, "key of an evaluation");
        ExperimentEvaluation ev;
        ev.name = name(e);
        const auto& model = m.require("model", "the model to evaluate");
        ev.model = yamlmap::read_string(ctx_, model.value, m.child("model"));
        if (!has(c.models, ev.model))
          ctx_.fail(model.value, fmt::format("{} = {}: no such model; models: {}", m.child("model"), ev.model, names(c.models)));
        ev.sets = dataset_refs(c, m, "sets", true);
        if (m.has("validation")) ev.validation = dataset_ref(c, m, "validation");
        if (auto n = m.optional_integer("mc_samples")) {
          if (*n < 0 || *n > 1000)
            ctx_.fail(m.find("mc_samples")->value, fmt::format("{} = {}; allowed: [0, 1000]", m.child("mc_samples"), *n));
          ev.mc_samples = *n;
        }
        c.evaluations.push_back(std::move(ev));
      }
    }

    if (const auto* h = root.find("headline")) {
      const Map hm(ctx_, h->value, "headline", "a map {finder, regressor, compare}");
      read_headline(c, hm);
      check_headline_sets(c, hm);
    }
    return c;
  }

 private:
  void read_headline(ExperimentConfig& c, const Map& h) const {
    h.allow_only({"finder", "regressor", "compare"}, "key of headline");
    if (const auto* f = h.find("finder")) {
      const Map m(ctx_, f->value, "headline.finder", "a map {evaluation, test, compound, fpr, min_theta_E, min_arc_snr}");
      m.allow_only({"evaluation", "test", "compound", "fpr", "min_theta_E", "min_arc_snr"}, "key of headline.finder");
      c.finder.evaluation = evaluation_ref(c, m);
      c.finder.test = dataset_ref(c, m, "test");
      c.finder.compound = dataset_refs(c, m, "compound", false);
      if (auto v = m.optional_number("fpr")) {
        if (!(*v > 0 && *v < 1)) ctx_.fail(m.find("fpr")->value, fmt::format("headline.finder.fpr = {}; allowed: (0, 1)", *v));
        c.finder.fpr = *v;
      }
      c.finder.min_theta_E = m.optional_number("min_theta_E").value_or(c.finder.min_theta_E);
      c.finder.min_arc_snr = m.optional_number("min_arc_snr").value_or(c.finder.min_arc_snr);
    }
    if (const auto* r = h.find("regressor")) {
      const Map m(ctx_, r->value, "headline.regressor", "a map {evaluation, test, target, min_theta_E}");
      m.allow_only({"evaluation", "test", "target", "min_theta_E"}, "key of headline.regressor");
      c.regressor.evaluation = evaluation_ref(c, m);
      c.regressor.test = dataset_ref(c, m, "test");
      c.regressor.target = m.optional_string("target").value_or(c.regressor.target);
      c.regressor.min_theta_E = m.optional_number("min_theta_E").value_or(c.regressor.min_theta_E);
    }
    if (const auto* cmp = h.find("compare")) {
      if (!cmp->value.IsSequence())
        ctx_.fail(cmp->value, fmt::format("headline.compare: expected a list of evaluations, found {}", yamlmap::describe(cmp->value)));
      for (const auto& item : cmp->value) {
        const std::string s = yamlmap::read_string(ctx_, item, "headline.compare[]");
        if (!has(c.evaluations, s))
          ctx_.fail(item, fmt::format("headline.compare: {} is no evaluation; evaluations: {}", s, names(c.evaluations)));
        c.compare.push_back(s);
      }
    }
  }

  /// The headline's test and compound sets must be among its evaluations' sets.
  void check_headline_sets(const ExperimentConfig& c, const Map& h) const {
    auto require = [&](const std::string& evaluation, const std::string& set, const char* key) {
      const auto& sets = c.evaluation(evaluation).sets;
      if (std::find(sets.begin(), sets.end(), set) == sets.end())
        ctx_.fail(h.find(key)->value, fmt::format("headline.{}: data set {} is not evaluated by {} (its sets: {})", key,
                                                  set, evaluation, fmt::join(sets, ", ")));
    };
    if (!c.finder.evaluation.empty()) {
      require(c.finder.evaluation, c.finder.test, "finder");
      for (const auto& s : c.finder.compound) require(c.finder.evaluation, s, "finder");
    }
    if (!c.regressor.evaluation.empty()) require(c.regressor.evaluation, c.regressor.test, "regressor");
    for (const auto& e : c.compare) {
      if (c.finder.evaluation.empty())
        ctx_.fail(h.find("compare")->value, "headline.compare needs headline.finder (its test and compound sets)");
      require(e, c.finder.test, "compare");
      for (const auto& s : c.finder.compound) require(e, s, "compare");
    }
  }

  std::string name(const Map::Entry& e) const {
    bool ok = !e.key.empty() && e.key.size() <= 64;
    for (char ch : e.key) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
    if (!ok) ctx_.fail(e.key_node, fmt::format("name '{}': use 1-64 letters, digits, _ or - (it becomes a file name)", e.key));
    return e.key;
  }

  template <class T>
  static bool has(const std::vector<T>& v, const std::string& n) {
    for (const auto& x : v)
      if (x.name == n) return true;
    return false;
  }
  template <class T>
  static std::string names(const std::vector<T>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x.name;
    return s.empty() ? "(none)" : s;
  }

  std::string dataset_ref(const ExperimentConfig& c, const Map& m, const std::string& key) const {
    const auto& e = m.require(key, "the name of a data set under datasets");
    const std::string s = yamlmap::read_string(ctx_, e.value, m.child(key));
    if (!has(c.datasets, s))
      ctx_.fail(e.value, fmt::format("{} = {}: no such data set; datasets: {}", m.child(key), s, names(c.datasets)));
    return s;
  }

  std::vector<std::string> dataset_refs(const ExperimentConfig& c, const Map& m, const std::string& key, bool required) const {
    std::vector<std::string> out;
    const Map::Entry* e = required ? &m.require(key, "a list of data set names") : m.find(key);
    if (!e) return out;
    if (!e->value.IsSequence() || e->value.size() == 0)
      ctx_.fail(e->value, fmt::format("{}: expected a non-empty list of data set names, found {}", m.child(key),
                                      yamlmap::describe(e->value)));
    for (const auto& item : e->value) {
      const std::string s = yamlmap::read_string(ctx_, item, m.child(key) + "[]");
      if (!has(c.datasets, s))
        ctx_.fail(item, fmt::format("{}: {} is no data set; datasets: {}", m.child(key), s, names(c.datasets)));
      out.push_back(s);
    }
    return out;
  }

  std::string evaluation_ref(const ExperimentConfig& c, const Map& m) const {
    const auto& e = m.require("evaluation", "the name of an evaluation");
    const std::string s = yamlmap::read_string(ctx_, e.value, m.child("evaluation"));
    if (!has(c.evaluations, s))
      ctx_.fail(e.value, fmt::format("{} = {}: no such evaluation; evaluations: {}", m.child("evaluation"), s, names(c.evaluations)));
    return s;
  }

  std::vector<std::string> strings(const Map& m, const std::string& key) const {
    std::vector<std::string> out;
    const auto* e = m.find(key);
    if (!e) return out;
    if (!e->value.IsSequence())
      ctx_.fail(e->value, fmt::format("{}: expected a list of \"key=value\" strings, found {}", m.child(key),
                                      yamlmap::describe(e->value)));
    for (const auto& item : e->value) out.push_back(yamlmap::read_string(ctx_, item, m.child(key) + "[]"));
    return out;
  }

  std::string resolve(const std::string& p) const {
    const fs::path path(p);
    return (path.is_absolute() ? path : fs::path(base_dir_) / path).lexically_normal().string();
  }

  const Context& ctx_;
  std::string base_dir_;
};

template <class T>
const T& find_named(const std::vector<T>& v, const std::string& n, const char* what) {
  for (const auto& x : v)
    if (x.name == n) return x;
  throw ConfigError(fmt::format("no {} named '{}'", what, n));
}

}  // namespace

const ExperimentDataset& ExperimentConfig::dataset(const std::string& n) const { return find_named(datasets, n, "data set"); }
const ExperimentModel& ExperimentConfig::model(const std::string& n) const { return find_named(models, n, "model"); }
const ExperimentEvaluation& ExperimentConfig::evaluation(const std::string& n) const {
  return find_named(evaluations, n, "evaluation");
}
std::string ExperimentConfig::data_path(const std::string& d) const {
  return (fs::path(output_dir) / "data" / (d + ".h5")).string();
}
std::string ExperimentConfig::model_dir(const std::string& m) const { return (fs::path(output_dir) / "models" / m).string(); }
std::string ExperimentConfig::eval_dir(const std::string& e) const { return (fs::path(output_dir) / "eval" / e).string(); }

ExperimentConfig load_experiment_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(fmt::format("experiment '{}' is a folder", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open experiment '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  Context ctx(path);
  YAML::Node root = yamlmap::load_document(ctx, text.str());
  for (const auto& o : overrides) yamlmap::apply_override(ctx, root, yamlmap::parse_override(ctx, o));
  ExperimentConfig c = Reader(ctx, fs::absolute(fs::path(path)).parent_path().string()).read(root);
  c.path = path;
  return c;
}

}  // namespace lensforge::train
