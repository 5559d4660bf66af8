#include "lensforge/train/eval/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <ostream>
#include <tuple>
#include <variant>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/eval/temperature_scaling.hpp"
#include "lensforge/train/predictor.hpp"

namespace lensforge::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A numeric label column as doubles (int64 -1, the schema's "does not apply", becomes NaN).
std::vector<double> numeric_column(const DatasetReader& r, const std::string& name, std::int64_t n) {
  const LabelData d = r.read_label(name);
  std::vector<double> out;
  if (const auto* v = std::get_if<std::vector<double>>(&d)) out = *v;
  else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&d))
    for (const std::int64_t x : *i) out.push_back(x == -1 ? kNaN : double(x));
  else
    throw ConfigError(fmt::format("{}: label column '{}' is text, a number is needed", r.path(), name));
  out.resize(std::size_t(n));
  return out;
}

std::string unit_of(const DatasetReader& r, const std::string& name) {
  const auto k = r.schema().label_index(name);
  return k ? r.schema().labels[*k].unit : "";
}

struct RunOutput {
  SetPredictions set;
  std::unique_ptr<train::ExampleSource> source;
};

/// Runs the model over the first rows of `path` and reads the truth.
RunOutput run_set(const train::Predictor& predictor, const std::string& path, const EvaluateOptions& o, bool with_mc,
                  std::ostream& log) {
  const train::ModelCard& card = predictor.card();
  const DatasetReader reader(path);
  train::SourceOptions so;
  so.bands = card.stack.bands;
  so.max_rows = o.max_examples;
  RunOutput out;
  out.source = train::open_dataset_source(path, so);
  const std::int64_t n = out.source->size();
  SetPredictions& s = out.set;
  s.path = path;
  s.name = std::filesystem::path(path).stem().string();
  s.temperature = predictor.card().temperature;
  for (std::int64_t i = 0; i < n; ++i) s.indices.push_back(i);

  const auto& schema = reader.schema();
  if (card.model.classify) {
    if (!schema.label_index("class"))
      throw ConfigError(fmt::format("{}: no label column 'class': the classifier cannot be scored", path));
    for (const double c : numeric_column(reader, "class", n)) s.labels.push_back(c == 1.0 ? 1 : 0);
  } else {
    s.labels.assign(std::size_t(n), 0);
    if (schema.label_index("class"))
      for (std::size_t i = 0; const double c : numeric_column(reader, "class", n)) s.labels[i++] = c == 1.0 ? 1 : 0;
  }
  if (const auto k = schema.label_index("subtype"); k && schema.labels[*k].type == LabelType::STRING) {
    auto all = std::get<std::vector<std::string>>(reader.read_label("subtype"));
    all.resize(std::size_t(n));
    s.subtypes = std::move(all);
  }
  // Completeness variables.
  std::vector<std::string> vars = {"lens_theta_E", "arc_snr", "source1_magnification"};
  if (!card.stack.bands.empty()) vars.push_back("source1_mag_" + card.stack.bands.front());
  for (const std::string& v : vars)
    if (schema.label_index(v)) s.variables.push_back({v, unit_of(reader, v), numeric_column(reader, v, n)});
  if (schema.label_index("lens2_theta_E") && schema.label_index("lens_theta_E")) {
    const auto a = numeric_column(reader, "lens2_theta_E", n), b = numeric_column(reader, "lens_theta_E", n);
    BinVariable ratio{"lens2_theta_E/lens_theta_E", "", std::vector<double>(std::size_t(n))};
    for (std::size_t i = 0; i < a.size(); ++i) ratio.values[i] = a[i] / b[i];
    s.variables.push_back(std::move(ratio));
  }
  const auto& targets = card.task.targets;
  for (const std::string& t : targets) {
    if (!schema.label_index(t)) throw ConfigError(fmt::format("{}: no label column '{}' (a regression target of the model)", path, t));
    TargetPredictions tp;
    tp.name = t;
    tp.unit = unit_of(reader, t);
    tp.truth = numeric_column(reader, t, n);
    s.targets.push_back(std::move(tp));
  }

  const auto start = std::chrono::steady_clock::now();
  const int mc = with_mc ? o.mc_samples : 0;
  const std::int64_t T = std::int64_t(targets.size());
  const train::InputShape shape = card.model.input;
  std::vector<float> images;
  for (std::int64_t first = 0; first < n; first += o.batch_size) {
    const std::int64_t count = std::min<std::int64_t>(o.batch_size, n - first);
    images.clear();
    images.reserve(std::size_t(count * shape.numel()));
    for (std::int64_t i = first; i < first + count; ++i) {
      const train::Example ex = predictor.prepare(out.source->get(i), out.source->bands());
      images.insert(images.end(), ex.pixels.begin(), ex.pixels.end());
    }
    const train::Predictions p = predictor.predict(images, count, mc, o.seed + std::uint64_t(first));
    for (std::int64_t k = 0; k < count; ++k) {
      if (card.model.classify) s.logits.push_back(p.logit[std::size_t(k)]);
      if (!p.probability_std.empty()) s.probability_std.push_back(p.probability_std[std::size_t(k)]);
      for (std::int64_t t = 0; t < T; ++t) {
        const std::size_t at = std::size_t(k * p.num_targets + t);
        TargetPredictions& tp = s.targets[std::size_t(t)];
        tp.mean.push_back(p.mean[at]);
        if (!p.sigma.empty()) tp.sigma.push_back(p.sigma[at]);
        if (!p.sigma_epistemic.empty()) tp.sigma_epistemic.push_back(p.sigma_epistemic[at]);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log << fmt::format("{}: {} images in {:.1f} s ({:.0f} images/s{})\n", path, n, seconds, double(n) / std::max(seconds, 1e-9),
                     mc > 0 ? fmt::format(", {} MC dropout passes", mc) : "");
  return out;
}

std::string band_list(const std::vector<std::string>& b) {
  std::string s;
  for (const auto& x : b) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::string EvaluateOptions::validate() const {
  if (checkpoint.empty()) return "checkpoint: a checkpoint file is needed";
  if (data.empty()) return "data: at least one test set is needed";
  if (mc_samples < 0 || mc_samples > 10000) return fmt::format("mc_samples = {}: must be in [0, 10000]", mc_samples);
  if (batch_size < 1 || batch_size > 65536) return fmt::format("batch_size = {}: must be in [1, 65536]", batch_size);
  if (max_examples < 0) return fmt::format("max_examples = {}: must be >= 0 (0: all)", max_examples);
  if (gallery < 0 || gallery > 1000) return fmt::format("gallery = {}: must be in [0, 1000]", gallery);
  if (threads < 0 || threads > 4096) return fmt::format("threads = {}: must be in [0, 4096]", threads);
  if (output_dir.empty()) return "output_dir: must not be empty";
  return metrics.validate();
}

Evaluation evaluate(const EvaluateOptions& o, std::ostream& log) {
  if (const std::string e = o.validate(); !e.empty()) throw ConfigError("evaluate: " + e);
  train::Predictor predictor(o.checkpoint, o.device, o.threads);
  const train::ModelCard& card = predictor.card();

  Evaluation ev;
  ev.title = fmt::format("lensforge evaluation: {}", std::filesystem::path(o.checkpoint).filename().string());
  ev.options = o.metrics;
  ev.options.seed = o.seed;
  ev.about = {{"checkpoint", o.checkpoint},
              {"architecture", card.model.architecture == train::Architecture::CNN ? "CNN" : "ResNet"},
              {"input", fmt::format("{} x {} x {} (bands {})", card.model.input.channels, card.model.input.height,
                                    card.model.input.width, band_list(card.stack.bands))},
              {"trained on", card.train_data},
              {"epoch", std::to_string(card.epoch)},
              {"targets", card.task.targets.empty() ? "none" : band_list(card.task.targets)},
              {"card temperature", fmt::format("{:g}", card.temperature)},
              {"MC dropout passes", std::to_string(o.mc_samples)},
              {"software", card.software_version}};

  double temperature = card.temperature;
  if (!o.validation.empty() && card.model.classify) {
    const RunOutput val = run_set(predictor, o.validation, o, false, log);
    ev.temperature_fit = fit_temperature(val.set.logits, val.set.labels);
    ev.temperature_source = o.validation;
    temperature = ev.temperature_fit->temperature;
    log << fmt::format("temperature fitted on {}: T = {:.4f} (NLL {:.4f} -> {:.4f})\n", o.validation, temperature,
                       ev.temperature_fit->nll_before, ev.temperature_fit->nll_after);
  }

  std::error_code ec;
  std::filesystem::create_directories(o.output_dir, ec);
  if (ec) throw IoError(fmt::format("cannot create output folder '{}': {}", o.output_dir, ec.message()));
  for (const std::string& path : o.data) {
    RunOutput run = run_set(predictor, path, o, o.mc_samples > 0, log);
    run.set.temperature = temperature;
    ev.metrics.push_back(evaluate_set(run.set, ev.options));
    SetGallery g;
    if (o.gallery > 0 && run.set.classifies()) {
      const auto [fp, missed] = gallery_selection(run.set, ev.options.threshold, o.gallery);
      const std::vector<double> p = calibrated_probabilities(run.set.logits, temperature);
      const train::InputShape shape = card.model.input;
      for (const auto& [list, tiles, what] : {std::tuple{&fp, &g.false_positives, "non-lens"}, std::tuple{&missed, &g.missed, "lens"}})
        for (const std::int64_t k : *list) {
          const train::Example ex = predictor.prepare(run.source->get(run.set.indices[std::size_t(k)]), run.source->bands());
          const std::string sub = run.set.subtypes.empty() ? what : run.set.subtypes[std::size_t(k)];
          tiles->push_back(cutout_tile(ex.pixels, shape.channels, shape.height, shape.width,
                                       fmt::format("row {} {} p={:.3f}", run.set.indices[std::size_t(k)], sub, p[std::size_t(k)])));
        }
    }
    ev.galleries.push_back(std::move(g));
    ev.sets.push_back(std::move(run.set));
  }
  if (ev.temperature_fit) {
    const std::string copy = (std::filesystem::path(o.output_dir) / "calibrated.pt").string();
    train::write_calibrated_checkpoint(o.checkpoint, copy, temperature);
    ev.about.emplace_back("calibrated checkpoint", copy);
  }
  write_evaluation(ev, o.output_dir);
  return ev;
}

}  // namespace lensforge::eval
