#include "experiment_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lensforge/sim/app/progress.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/train/eval/confidence_interval.hpp"
#include "lensforge/train/eval/evaluate.hpp"
#include "lensforge/train/eval/html_report.hpp"
#include "lensforge/train/eval/svg_plot.hpp"
#include "lensforge/train/eval/roc_curve.hpp"
#include "lensforge/train/experiment_config.hpp"
#include "lensforge/train/model_card.hpp"
#include "lensforge/train/train_config.hpp"
#include "lensforge/train/trainer.hpp"
#include "train_command_support.hpp"

namespace lensforge::train::app {

namespace fs = std::filesystem;
using nlohmann::json;

CLI::App* add_experiment_command(CLI::App& app, ExperimentCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "experiment", "Run a whole experiment file: generate the data sets, train the models, evaluate them, summarise.");
  cmd->add_option("EXPERIMENT", a.config_path,
                  "Experiment file (YAML): data sets (population, count, seed), models (training config), "
                  "evaluations and the headline figures. Examples: configs/experiments/*.yaml")
      ->required();
  add_set_option(cmd, a.overrides);
  cmd->add_flag("--fresh", a.fresh,
                "Redo every step; by default a data set or model already made from the same config is reused");
  cmd->footer(
      "Writes under the experiment's output_dir: data/<set>.h5, models/<model>/ (best.pt, metrics), eval/<evaluation>/\n"
      "(report.html, metrics.json, metrics.csv), results.json (the headline figures) and report.html (summary with\n"
      "links to every evaluation report). Rerunning continues where a previous run stopped.\n"
      "Examples:\n"
      "  lensforge-train experiment configs/experiments/demo.yaml\n"
      "  lensforge-train experiment configs/experiments/demo.yaml --set datasets.train.count=4000\n"
      "Exit status: 0 done; 2 bad experiment file (one error line; nothing run); 1 a step failed.");
  return cmd;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

/// "model name, N cores" from /proc/cpuinfo (empty name where it cannot be read).
std::string machine_description() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return fmt::format("{}{}{} cores", model, model.empty() ? "" : ", ", std::thread::hardware_concurrency());
}

bool dataset_up_to_date(const std::string& path, const GeneratorConfig& cfg, const ExperimentDataset& d) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    const DatasetReader r(path);
    return r.complete() && r.run().config_text == cfg.yaml_text && r.run().seed == d.seed &&
           r.num_images() == d.count;
  } catch (const Error&) {
    return false;
  }
}

void make_dataset(const ExperimentConfig& x, const ExperimentDataset& d, bool fresh, std::ostream& out,
                  std::ostream& err) {
  const std::string path = x.data_path(d.name);
  const GeneratorConfig cfg = load_generator_config(d.population, "", d.overrides);
  if (!fresh && dataset_up_to_date(path, cfg, d)) {
    out << fmt::format("data set {}: up to date ({} images, {})\n", d.name, d.count, path);
    return;
  }
  fs::create_directories(fs::path(path).parent_path());
  GenerateOptions opt;
  opt.output = path;
  opt.num_images = std::uint64_t(d.count);
  opt.seed = d.seed;
  opt.threads = x.threads;
  opt.writer.overwrite = true;
  Progress bar(err, "generating " + d.name, opt.num_images, 0, is_terminal(fileno(stderr)) && &err == &std::cerr);
  const GenerateStats s = generate_dataset(cfg, opt, [&](std::uint64_t done, std::uint64_t) { bar.update(done); });
  bar.finish();
  out << fmt::format("data set {}: {} images in {:.1f} s ({})\n", d.name, d.count, s.seconds, path);
}

/// The training config of a model as the experiment runs it: its data sets, output folder, threads.
TrainConfig model_config(const ExperimentConfig& x, const ExperimentModel& m) {
  std::vector<std::string> o = m.overrides;
  o.push_back(fmt::format("data.train={{file: '{}'}}", fs::absolute(x.data_path(m.train)).string()));
  o.push_back(fmt::format("data.validation={{file: '{}'}}", fs::absolute(x.data_path(m.validation)).string()));
  o.push_back(fmt::format("output_dir='{}'", fs::absolute(x.model_dir(m.name)).string()));
  o.push_back(fmt::format("threads={}", x.threads));
  return load_train_config(m.config, o);
}

/// Written into a model's folder when its training finished: the effective training config.
constexpr const char* kTrainedMarker = "experiment_trained.yaml";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The checkpoint's effective training config, or "" when it is missing or unreadable.
std::string checkpoint_config(const fs::path& checkpoint) {
  std::error_code ec;
  if (!fs::is_regular_file(checkpoint, ec)) return {};
  try {
    return read_model_card(checkpoint.string()).config_yaml;
  } catch (const Error&) {
    return {};
  }
}

/// Trains a model unless a finished run of the same config is there; an interrupted run of the
/// same config (its last.pt) is resumed, so no finished epoch is lost.
bool train_model(const ExperimentConfig& x, const ExperimentModel& m, bool fresh, std::ostream& out) {
  const TrainConfig cfg = model_config(x, m);
  const fs::path dir(cfg.output_dir), marker = dir / kTrainedMarker;
  std::error_code ec;
  if (!fresh && fs::is_regular_file(marker, ec) && read_file(marker) == cfg.yaml_text &&
      checkpoint_config(dir / "best.pt") == cfg.yaml_text) {
    out << fmt::format("model {}: up to date ({})\n", m.name, (dir / "best.pt").string());
    return true;
  }
  fs::create_directories(dir);
  fs::remove(marker, ec);
  FitOptions opt;
  opt.resume = !fresh && checkpoint_config(dir / "last.pt") == cfg.yaml_text;
  opt.overwrite = !opt.resume;
  const auto t0 = Clock::now();
  const FitResult r = fit(cfg, opt);
  out << fmt::format("model {}: {}{} in {} (best epoch {}, validation loss {:.4f}; {})\n", m.name,
                     opt.resume ? "resumed, " : "", r.stop_reason, Progress::format_duration(seconds_since(t0)),
                     r.best_epoch, r.best_val_loss, r.best_checkpoint);
  if (r.ok) std::ofstream(marker, std::ios::binary) << cfg.yaml_text;
  return r.ok;
}

const eval::SetPredictions& set_of(const eval::Evaluation& e, const std::string& path) {
  for (const auto& s : e.sets)
    if (fs::path(s.path) == fs::path(path)) return s;
  throw ConfigError(fmt::format("the evaluation has no predictions for {}", path));
}

/// Label column values of a data set at the rows of a set's predictions (NaN where the file has no
/// such column).
std::vector<double> column_at(const std::string& path, const std::string& name, const std::vector<std::int64_t>& rows) {
  const DatasetReader r(path);
  std::vector<double> out(rows.size(), std::numeric_limits<double>::quiet_NaN());
  const auto names = r.label_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) return out;
  const LabelData data = r.read_label(name);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (const auto* d = std::get_if<std::vector<double>>(&data)) out[k] = (*d)[std::size_t(rows[k])];
    if (const auto* i = std::get_if<std::vector<std::int64_t>>(&data)) out[k] = double((*i)[std::size_t(rows[k])]);
  }
  return out;
}

json interval_json(const eval::ConfidenceInterval& c) {
  return {{"value", c.value}, {"lower", c.lower}, {"upper", c.upper}};
}

/// Positives of `set` with score >= threshold among those where keep(k).
template <class Keep>
eval::ConfidenceInterval completeness(const eval::SetPredictions& set, double threshold, Keep keep) {
  std::int64_t found = 0, total = 0;
  for (std::int64_t k = 0; k < set.size(); ++k) {
    if (set.labels[std::size_t(k)] != 1 || !keep(std::size_t(k))) continue;
    ++total;
    found += set.logits[std::size_t(k)] >= threshold ? 1 : 0;
  }
  return eval::wilson_interval(found, total);
}

/// The headline figures of a finder on the experiment's test and compound sets, at the logit
/// threshold where the test set's false-positive rate reaches headline.finder.fpr.
json finder_figures(const ExperimentConfig& x, const eval::Evaluation& e) {
  const FinderHeadline& h = x.finder;
  const std::string test_path = x.data_path(h.test);
  const eval::SetPredictions& test = set_of(e, test_path);
  if (!test.classifies()) throw ConfigError(fmt::format("headline.finder: evaluation {} does not classify", h.evaluation));
  const eval::RocCurve roc = eval::roc_curve(test.logits, test.labels);
  const eval::OperatingPoint op = eval::tpr_at_fpr(roc, h.fpr);
  const auto theta = column_at(test_path, "lens_theta_E", test.indices);
  const auto snr = column_at(test_path, "arc_snr", test.indices);
  json f = {{"test_set", h.test},
            {"positives", roc.positives},
            {"negatives", roc.negatives},
            {"auroc", eval::auroc(roc)},
            {"tpr0", eval::tpr_before_false_positives(roc, 1).tpr},
            {"tpr10", eval::tpr_before_false_positives(roc, 10).tpr},
            {"fpr_target", h.fpr},
            {"fpr_reached", op.fpr},
            {"threshold_probability", 1.0 / (1.0 + std::exp(-op.threshold / test.temperature))},
            {"completeness", interval_json(completeness(test, op.threshold, [](std::size_t) { return true; }))},
            {"bright_cut", fmt::format("theta_E >= {} arcsec and arc S/N >= {}", h.min_theta_E, h.min_arc_snr)},
            {"completeness_bright", interval_json(completeness(test, op.threshold, [&](std::size_t k) {
               return theta[k] >= h.min_theta_E && snr[k] >= h.min_arc_snr;
             }))}};
  for (const auto& c : h.compound) {
    const eval::SetPredictions& s = set_of(e, x.data_path(c));
    f["compound"][c] = interval_json(completeness(s, op.threshold, [](std::size_t) { return true; }));
  }
  return f;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

json regressor_figures(const ExperimentConfig& x, const eval::Evaluation& e) {
  const RegressorHeadline& h = x.regressor;
  const eval::SetPredictions& test = set_of(e, x.data_path(h.test));
  const eval::TargetPredictions* t = nullptr;
  for (const auto& tp : test.targets)
    if (tp.name == h.target) t = &tp;
  if (!t) throw ConfigError(fmt::format("headline.regressor: evaluation {} has no target {}", h.evaluation, h.target));
  const auto theta = column_at(x.data_path(h.test), "lens_theta_E", test.indices);
  std::vector<double> rel;
  std::int64_t inside68 = 0, inside68_aleatoric = 0;
  for (std::size_t k = 0; k < t->truth.size(); ++k) {
    if (!std::isfinite(t->truth[k]) || !(theta[k] >= h.min_theta_E)) continue;
    const double r = t->mean[k] - t->truth[k];
    rel.push_back(r / t->truth[k]);
    const double sa = t->sigma.empty() ? 0.0 : t->sigma[k];
    const double se = t->sigma_epistemic.empty() ? 0.0 : t->sigma_epistemic[k];
    inside68 += std::abs(r) <= std::sqrt(sa * sa + se * se) ? 1 : 0;
    inside68_aleatoric += std::abs(r) <= sa ? 1 : 0;
  }
  const double bias = median(rel);
  std::vector<double> dev(rel.size());
  for (std::size_t k = 0; k < rel.size(); ++k) dev[k] = std::abs(rel[k] - bias);
  const auto n = std::int64_t(rel.size());
  return {{"test_set", h.test},
          {"target", h.target},
          {"cut", fmt::format("lens_theta_E >= {} arcsec", h.min_theta_E)},
          {"lenses", n},
          {"relative_bias_median", bias},
          {"relative_robust_scatter", 1.4826 * median(dev)},
          {"coverage68", interval_json(eval::wilson_interval(inside68, n))},
          {"coverage68_aleatoric", interval_json(eval::wilson_interval(inside68_aleatoric, n))},
          {"mc_samples", x.evaluation(h.evaluation).mc_samples}};
}

/// Completeness of each compare finder on each compound set at its own test-set threshold, in
/// quantile bins of the Einstein-radius ratio and of the second source's magnitude.
json sweep(const ExperimentConfig& x, const std::vector<std::pair<std::string, eval::Evaluation>>& evals) {
  json out = json::array();
  constexpr int kBins = 5;
  for (const auto& name : x.compare) {
    const eval::Evaluation* e = nullptr;
    for (const auto& [n, ev] : evals)
      if (n == name) e = &ev;
    if (!e) continue;
    const double threshold = [&] {
      const eval::SetPredictions& test = set_of(*e, x.data_path(x.finder.test));
      return eval::tpr_at_fpr(test.logits, test.labels, x.finder.fpr).threshold;
    }();
    for (const auto& c : x.finder.compound) {
      const std::string path = x.data_path(c);
      const eval::SetPredictions& s = set_of(*e, path);
      const std::string band = DatasetReader(path).schema().bands.front().name;
      const auto t1 = column_at(path, "lens_theta_E", s.indices);
      const auto t2 = column_at(path, "lens2_theta_E", s.indices);
      std::vector<double> ratio(t1.size());
      for (std::size_t k = 0; k < t1.size(); ++k) ratio[k] = t2[k] / t1[k];
      for (const auto& [variable, values] :
           {std::pair{std::string("lens2_theta_E/lens_theta_E"), ratio},
            std::pair{"source2_mag_" + band, column_at(path, "source2_mag_" + band, s.indices)}}) {
        std::vector<double> finite;
        for (double v : values)
          if (std::isfinite(v)) finite.push_back(v);
        if (finite.size() < 2 * kBins) continue;
        std::sort(finite.begin(), finite.end());
        json bins = json::array();
        for (int b = 0; b < kBins; ++b) {
          const double lo = finite[finite.size() * std::size_t(b) / kBins];
          const double hi = b + 1 == kBins ? finite.back() : finite[finite.size() * std::size_t(b + 1) / kBins];
          const auto c_bin = completeness(s, threshold, [&](std::size_t k) {
            return values[k] >= lo && (b + 1 == kBins ? values[k] <= hi : values[k] < hi);
          });
          bins.push_back({{"low", lo}, {"high", hi}, {"completeness", interval_json(c_bin)}});
        }
        out.push_back({{"finder", name}, {"set", c}, {"variable", variable}, {"bins", bins}});
      }
    }
  }
  return out;
}


std::string percent(const json& ci) {
  if (!ci.is_object() || !ci["value"].is_number()) return "n/a";
  return fmt::format("{:.1f}% [{:.1f}, {:.1f}]", 100 * ci["value"].get<double>(), 100 * ci["lower"].get<double>(),
                     100 * ci["upper"].get<double>());
}

std::string number(const json& v, const char* spec = "{:.4f}") {
  return v.is_number() ? fmt::format(fmt::runtime(spec), v.get<double>()) : std::string("n/a");
}

/// The headline figures as table rows {figure, value}.
std::vector<std::vector<std::string>> headline_rows(const json& r) {
  std::vector<std::vector<std::string>> rows;
  if (r.contains("finder")) {
    const json& f = r["finder"];
    const std::string fpr = fmt::format("{:g}%", 100 * f["fpr_target"].get<double>());
    rows.push_back({"AUROC (" + f["test_set"].get<std::string>() + ")", number(f["auroc"])});
    rows.push_back({"TPR0", number(f["tpr0"])});
    rows.push_back({"TPR10", number(f["tpr10"])});
    rows.push_back({"completeness at " + fpr + " FPR, all lenses", percent(f["completeness"])});
    rows.push_back({"completeness at " + fpr + " FPR, " + f["bright_cut"].get<std::string>(), percent(f["completeness_bright"])});
    if (f.contains("compound"))
      for (const auto& [set, ci] : f["compound"].items())
        rows.push_back({"completeness of " + set + " at the single-lens threshold", percent(ci)});
  }
  if (r.contains("compare") && r.contains("finder"))
    for (const auto& [name, f] : r["compare"].items()) {
      if (f == r["finder"]) continue;  // the headline finder itself
      rows.push_back({name + ": AUROC (" + f["test_set"].get<std::string>() + ")", number(f["auroc"])});
      rows.push_back({name + ": completeness at the same FPR, " + f["bright_cut"].get<std::string>(),
                      percent(f["completeness_bright"])});
      for (const auto& [set, ci] : f["compound"].items())
        rows.push_back({name + ": completeness of " + set + " at its single-lens threshold", percent(ci)});
    }
  if (r.contains("regressor")) {
    const json& g = r["regressor"];
    const std::string t = g["target"].get<std::string>() + " (" + g["cut"].get<std::string>() + ")";
    rows.push_back({t + ": median relative bias", number(g["relative_bias_median"], "{:+.4f}")});
    rows.push_back({t + ": robust relative scatter", number(g["relative_robust_scatter"])});
    rows.push_back({t + ": 68% interval coverage", percent(g["coverage68"])});
  }
  return rows;
}

void print_headline(const json& r, std::ostream& out) {
  out << "\nheadline figures (" << r["title"].get<std::string>() << "):\n";
  for (const auto& row : headline_rows(r)) out << fmt::format("  {:<78} {}\n", row[0], row[1]);
  out << fmt::format("  total time {}\n", Progress::format_duration(r["seconds_total"].get<double>()));
}

void write_experiment_report(const ExperimentConfig& x, const json& r, const std::string& path) {
  eval::HtmlReport report(x.title);
  report.paragraph(fmt::format("{} -- lensforge {} -- {} -- started {}, finished {} ({})", x.path,
                               r["software_version"].get<std::string>(), r["machine"].get<std::string>(),
                               r["started"].get<std::string>(), r["finished"].get<std::string>(),
                               Progress::format_duration(r["seconds_total"].get<double>())));
  report.heading("Headline figures");
  report.table({"figure", "value [95% interval]"}, headline_rows(r));
  if (!r["sweep"].empty()) {
    report.heading("Compound lenses: completeness at the single-lens threshold");
    std::vector<std::pair<std::string, std::string>> keys;  // (set, variable)
    for (const auto& s : r["sweep"]) {
      const std::pair key{s["set"].get<std::string>(), s["variable"].get<std::string>()};
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
    for (const auto& [set, variable] : keys) {
      eval::SvgPlot plot(set, variable + " (quantile bins)", "completeness");
      plot.y_range(0, 1.02).legend(eval::SvgPlot::Corner::BOTTOM_LEFT);
      for (const auto& s : r["sweep"]) {
        if (s["set"] != set || s["variable"] != variable) continue;
        std::vector<double> xs, ys, lo, hi;
        for (const auto& b : s["bins"]) {
          const json& c = b["completeness"];
          xs.push_back(0.5 * (b["low"].get<double>() + b["high"].get<double>()));
          ys.push_back(c["value"].is_number() ? c["value"].get<double>() : NAN);
          lo.push_back(c["lower"].is_number() ? c["lower"].get<double>() : NAN);
          hi.push_back(c["upper"].is_number() ? c["upper"].get<double>() : NAN);
        }
        plot.error_bars(s["finder"].get<std::string>(), xs, ys, lo, hi);
      }
      report.figure(plot, "Completeness per quantile bin with 95% Wilson intervals, each finder at its own threshold "
                          "for the headline false-positive rate on the single-lens test set.");
    }
  }
  report.heading("Evaluation reports");
  for (const auto& ev : x.evaluations)
    report.link(fmt::format("{}: model {} on {}", ev.name, ev.model, fmt::join(ev.sets, ", ")),
                (fs::path("eval") / ev.name / "report.html").string());
  report.heading("Models");
  for (const auto& m : x.models)
    report.link(fmt::format("{}: {} trained on {} (validation {}), metrics per epoch", m.name, m.config, m.train,
                            m.validation),
                (fs::path("models") / m.name / "metrics.csv").string());
  report.write(path);
}

}  // namespace

int run_experiment_command(const ExperimentCommandArgs& a, std::ostream& out, std::ostream& err) {
  ExperimentConfig x;
  try {
    x = load_experiment_config(a.config_path, a.overrides);
    for (const auto& d : x.datasets) (void)load_generator_config(d.population, "", d.overrides);
    for (const auto& m : x.models) (void)model_config(x, m);
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitBadInput);
  }
  const auto t_start = Clock::now();
  json results = {{"title", x.title},
                  {"experiment", a.config_path},
                  {"overrides", a.overrides},
                  {"started", utc_now()},
                  {"machine", machine_description()},
                  {"software_version", LENSFORGE_VERSION}};
  try {
    for (const auto& d : x.datasets) make_dataset(x, d, a.fresh, out, err);
    results["seconds_data"] = seconds_since(t_start);
    for (const auto& m : x.models)
      if (!train_model(x, m, a.fresh, out))
        return report_error(err, fmt::format("model {} stopped on a non-finite loss (see {}/train.log)", m.name,
                                             x.model_dir(m.name)),
                            kExitFailure);
    results["seconds_training"] = seconds_since(t_start) - results["seconds_data"].get<double>();
    std::vector<std::pair<std::string, eval::Evaluation>> evals;
    for (const auto& ev : x.evaluations) {
      eval::EvaluateOptions o;
      o.checkpoint = (fs::path(x.model_dir(ev.model)) / "best.pt").string();
      for (const auto& s : ev.sets) o.data.push_back(x.data_path(s));
      if (!ev.validation.empty()) o.validation = x.data_path(ev.validation);
      o.output_dir = x.eval_dir(ev.name);
      o.mc_samples = ev.mc_samples;
      o.threads = x.threads;
      evals.emplace_back(ev.name, eval::evaluate(o, err));
      out << fmt::format("evaluation {}: {}/report.html\n", ev.name, o.output_dir);
    }
    for (const auto& [name, e] : evals) {
      if (name == x.finder.evaluation) results["finder"] = finder_figures(x, e);
      if (std::find(x.compare.begin(), x.compare.end(), name) != x.compare.end())
        results["compare"][name] = finder_figures(x, e);
      if (name == x.regressor.evaluation) results["regressor"] = regressor_figures(x, e);
    }
    results["sweep"] = sweep(x, evals);
    results["seconds_total"] = seconds_since(t_start);
    results["finished"] = utc_now();
    const std::string json_path = (fs::path(x.output_dir) / "results.json").string();
    std::ofstream(json_path) << results.dump(2) << "\n";
    write_experiment_report(x, results, (fs::path(x.output_dir) / "report.html").string());
    print_headline(results, out);
    out << fmt::format("report: {}\nfigures: {}\n", (fs::path(x.output_dir) / "report.html").string(), json_path);
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitFailure);
  }
  return 0;
}

}  // namespace lensforge::train::app
