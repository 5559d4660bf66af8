#include "lensforge/train/eval/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/png.hpp"

namespace lensforge::eval {
namespace {

std::string num(double v, int digits = 4) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.{}g}", v, digits);
}

/// "0.953 [0.941, 0.962]", or the value alone when there is no interval.
std::string with_interval(const ConfidenceInterval& c) {
  if (std::isnan(c.lower) || std::isnan(c.upper)) return num(c.value);
  return fmt::format("{} [{}, {}]", num(c.value), num(c.lower), num(c.upper));
}

const ScalarMetric* find(const std::vector<ScalarMetric>& v, const std::string& name) {
  for (const auto& s : v)
    if (s.name == name) return &s;
  return nullptr;
}

std::string scalar_text(const std::vector<ScalarMetric>& v, const std::string& name) {
  const ScalarMetric* s = find(v, name);
  return s ? with_interval(s->value) : "";
}

std::string with_unit(const std::string& name, const std::string& unit) {
  return unit.empty() ? name : fmt::format("{} ({})", name, unit);
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw IoError(fmt::format("cannot write '{}'", path.string()));
}

void classification_section(HtmlReport& r, const Evaluation& e) {
  const EvalOptions& o = e.options;
  std::vector<std::size_t> cls;
  for (std::size_t s = 0; s < e.metrics.size(); ++s)
    if (e.metrics[s].classification) cls.push_back(s);
  if (cls.empty()) return;

  r.heading("Classification");
  std::vector<std::string> header = {"set", "n", "P", "N", "AUROC", "TPR0", "TPR10"};
  for (const double f : o.fixed_fpr) header.push_back(fmt::format("TPR at FPR {:g}", f));
  for (const char* h : {"accuracy", "precision", "recall", "F1", "ECE"}) header.push_back(fmt::format("{} @ {:g}", h, o.threshold));
  header.back() = "ECE";
  std::vector<std::vector<std::string>> rows;
  for (const std::size_t s : cls) {
    const ClassificationMetrics& c = *e.metrics[s].classification;
    std::vector<std::string> row = {e.metrics[s].name, std::to_string(e.metrics[s].size), std::to_string(c.positives),
                                    std::to_string(c.negatives), scalar_text(c.scalars, "auroc"),
                                    scalar_text(c.scalars, "tpr0"), scalar_text(c.scalars, "tpr10")};
    for (const double f : o.fixed_fpr) row.push_back(scalar_text(c.scalars, fmt::format("tpr_at_fpr_{:g}", f)));
    for (const char* m : {"accuracy", "precision", "recall", "f1", "ece"}) row.push_back(scalar_text(c.scalars, m));
    rows.push_back(row);
  }
  r.table(header, rows);
  r.paragraph(fmt::format(
      "Intervals: {:g}% percentile bootstrap, {} resamples stratified by class. TPR0 / TPR10: the highest TPR reached "
      "with fewer than 1 / 10 false positives (Metcalf et al. 2019); a lens tied in score with that false positive is not "
      "counted. An example is called a lens when its probability >= the threshold.",
      100 * o.level, o.bootstrap));

  rows.clear();
  for (const std::size_t s : cls) {
    const ClassificationMetrics& c = *e.metrics[s].classification;
    auto thr = [](const OperatingPoint& p) { return std::isinf(p.threshold) ? std::string("none") : num(p.threshold, 6); };
    std::vector<std::string> row = {e.metrics[s].name, thr(c.tpr0), thr(c.tpr10)};
    for (const OperatingPoint& p : c.at_fpr) row.push_back(thr(p));
    const ThresholdMetrics& t = c.at_threshold;
    row.insert(row.end(), {std::to_string(t.true_positives), std::to_string(t.false_positives),
                           std::to_string(t.true_negatives), std::to_string(t.false_negatives)});
    rows.push_back(row);
  }
  header = {"set", "threshold of TPR0", "threshold of TPR10"};
  for (const double f : o.fixed_fpr) header.push_back(fmt::format("threshold at FPR {:g}", f));
  for (const char* h : {"TP", "FP", "TN", "FN"}) header.push_back(fmt::format("{} @ {:g}", h, o.threshold));
  r.table(header, rows);

  SvgPlot lin("ROC curves", "false-positive rate", "true-positive rate");
  SvgPlot log("ROC curves, logarithmic FPR", "false-positive rate", "true-positive rate");
  lin.x_range(0, 1).y_range(0, 1.02).legend(SvgPlot::Corner::BOTTOM_RIGHT);
  log.log_x().y_range(0, 1.02).legend(SvgPlot::Corner::TOP_LEFT);
  double min_fpr = 1.0;
  for (const std::size_t s : cls) {
    const ClassificationMetrics& c = *e.metrics[s].classification;
    const std::string name = fmt::format("{} (AUROC {})", e.metrics[s].name, num(find(c.scalars, "auroc")->value.value));
    lin.line(name, c.roc.fpr, c.roc.tpr);
    log.line(name, c.roc.fpr, c.roc.tpr);
    if (c.negatives > 0) min_fpr = std::min(min_fpr, 1.0 / double(c.negatives));
  }
  lin.diagonal("chance");
  log.x_range(std::pow(10.0, std::floor(std::log10(min_fpr))), 1.0);
  r.figure(lin, "ROC curves of every set. Tied scores form one (diagonal) step.");
  r.figure(log, "The same on a logarithmic FPR axis (FPR = 0 is off the axis): the low-contamination end that "
                "TPR0, TPR10 and the TPR at fixed FPR measure.");

  for (const std::size_t s : cls) {
    const SetPredictions& set = e.sets[s];
    const std::vector<double> p = calibrated_probabilities(set.logits, set.temperature);
    std::vector<double> edges(std::size_t(o.histogram_bins) + 1), pos(std::size_t(o.histogram_bins), 0.0),
        neg(pos.size(), 0.0);
    for (std::size_t b = 0; b < edges.size(); ++b) edges[b] = double(b) / o.histogram_bins;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const auto b = std::min(std::size_t(p[i] * o.histogram_bins), pos.size() - 1);
      (set.labels[i] == 1 ? pos : neg)[b] += 1.0;
    }
    SvgPlot h(fmt::format("Scores: {}", set.name), "probability", "examples");
    h.log_y().x_range(0, 1).legend(SvgPlot::Corner::TOP_RIGHT);
    h.histogram("lenses", edges, pos).histogram("non-lenses", edges, neg);
    r.figure(h, fmt::format("Probability histogram of {} ({} bins; logarithmic counts).", set.name, o.histogram_bins));
  }

  // Completeness.
  r.heading(fmt::format("Completeness at threshold {:g}", o.threshold), 3);
  rows.clear();
  for (const std::size_t s : cls)
    for (const CompletenessBin& b : e.metrics[s].classification->by_subtype)
      rows.push_back({e.metrics[s].name, b.name, b.label == 1 ? "lens (completeness)" : "non-lens (FP rate)",
                      std::to_string(b.count), std::to_string(b.selected), with_interval(b.fraction)});
  if (!rows.empty()) r.table({"set", "subtype", "class", "n", "called lens", "fraction [Wilson]"}, rows);
  std::vector<std::pair<std::string, std::string>> variables;
  for (const std::size_t s : cls)
    for (const BinnedCompleteness& bc : e.metrics[s].classification->binned)
      if (std::find(variables.begin(), variables.end(), std::pair{bc.variable, bc.unit}) == variables.end())
        variables.emplace_back(bc.variable, bc.unit);
  for (const auto& [var, unit] : variables) {
    SvgPlot p(fmt::format("Completeness vs {}", var), with_unit(var, unit), "completeness");
    p.y_range(0, 1.05).legend(SvgPlot::Corner::BOTTOM_RIGHT);
    for (const std::size_t s : cls)
      for (const BinnedCompleteness& bc : e.metrics[s].classification->binned) {
        if (bc.variable != var) continue;
        std::vector<double> x, y, lo, hi;
        for (const CompletenessBin& b : bc.bins) {
          x.push_back(b.centre);
          y.push_back(b.fraction.value);
          lo.push_back(b.fraction.lower);
          hi.push_back(b.fraction.upper);
        }
        p.error_bars(e.metrics[s].name, x, y, lo, hi);
      }
    r.figure(p, fmt::format("Completeness of the lenses in {} bins of equal counts of {} (points at the mean of each "
                            "bin), with {:g}% Wilson intervals.", o.completeness_bins, var, 100 * o.level));
  }

  // Calibration.
  r.heading("Calibration", 3);
  if (e.temperature_fit)
    r.paragraph(fmt::format("Temperature fitted on {}: T = {:.4f} (mean NLL {:.4f} at T = 1, {:.4f} at T){}.",
                            e.temperature_source, e.temperature_fit->temperature, e.temperature_fit->nll_before,
                            e.temperature_fit->nll_after, e.temperature_fit->at_bound ? "; the optimum is on a search bound" : ""));
  SvgPlot rel("Reliability diagram", "mean predicted probability", "fraction of lenses");
  rel.x_range(0, 1).y_range(0, 1).legend(SvgPlot::Corner::TOP_LEFT);
  rel.diagonal("perfect calibration");
  rows.clear();
  for (const std::size_t s : cls) {
    const ClassificationMetrics& c = *e.metrics[s].classification;
    std::vector<double> x, y, lo, hi;
    for (const ReliabilityBin& b : c.reliability) {
      x.push_back(b.mean_probability);
      y.push_back(b.positive_fraction.value);
      lo.push_back(b.positive_fraction.lower);
      hi.push_back(b.positive_fraction.upper);
    }
    rel.error_bars(fmt::format("{} (ECE {})", e.metrics[s].name, num(c.ece, 3)), x, y, lo, hi);
    rows.push_back({e.metrics[s].name, num(e.sets[s].temperature), scalar_text(c.scalars, "ece"),
                    find(c.scalars, "ece_uncalibrated") ? scalar_text(c.scalars, "ece_uncalibrated") : "",
                    find(c.scalars, "mean_probability_std") ? scalar_text(c.scalars, "mean_probability_std") : ""});
  }
  r.figure(rel, fmt::format("Fraction of lenses against the mean probability in {} equal-width bins, with {:g}% "
                            "Wilson intervals.", o.reliability_bins, 100 * o.level));
  r.table({"set", "temperature", "ECE", "ECE at T = 1", "mean MC-dropout std of p"}, rows);
}

void regression_section(HtmlReport& r, const Evaluation& e) {
  std::vector<std::string> names;
  for (const SetPredictions& s : e.sets)
    for (const TargetPredictions& t : s.targets)
      if (std::find(names.begin(), names.end(), t.name) == names.end()) names.push_back(t.name);
  if (names.empty()) return;
  r.heading("Regression");
  std::vector<std::vector<std::string>> rows, cover;
  for (std::size_t s = 0; s < e.metrics.size(); ++s)
    for (const TargetMetrics& t : e.metrics[s].targets) {
      const RegressionMetrics& m = t.metrics;
      auto iv = [&](const char* name, double v) {
        const ScalarMetric* x = find(t.intervals, name);
        return x ? with_interval(x->value) : num(v);
      };
      rows.push_back({e.metrics[s].name, with_unit(t.name, t.unit), std::to_string(m.count), iv("bias", m.bias),
                      iv("rms", m.rms), iv("robust_scatter", m.robust_scatter), num(m.relative_robust_scatter),
                      num(m.outlier_fraction), num(m.r2)});
      for (const auto& [kind, c] : t.coverage)
        cover.push_back({e.metrics[s].name, t.name, kind, fmt::format("{:.2f}%", 100 * c.nominal), std::to_string(c.count),
                         num(c.mean_sigma), with_interval(c.fraction)});
    }
  r.table({"set", "target", "n", "bias", "RMS", "robust scatter", "relative robust scatter", "outlier fraction", "R^2"},
          rows);
  const RegressionOptions& ro = e.options.regression;
  r.paragraph(fmt::format("Residual = predicted - true over examples where the truth applies. Robust scatter = 1.4826 "
                          "MAD. Outlier: {}.",
                          ro.outlier_relative > 0 ? fmt::format("|residual| / |true| > {:g}", ro.outlier_relative)
                                                  : fmt::format("|residual| > {:g} robust scatter", ro.outlier_sigma)));
  if (!cover.empty()) {
    r.heading("Coverage of the predicted uncertainties", 3);
    r.table({"set", "target", "sigma", "nominal", "n", "mean sigma", "fraction inside [Wilson]"}, cover);
  }
  for (const std::string& name : names) {
    std::string unit;
    for (const SetPredictions& s : e.sets)
      for (const TargetPredictions& t : s.targets)
        if (t.name == name) unit = t.unit;
    SvgPlot q(fmt::format("{}: predicted vs true", name), with_unit("true " + name, unit), with_unit("predicted " + name, unit));
    q.legend(SvgPlot::Corner::TOP_LEFT);
    for (const SetPredictions& s : e.sets)
      for (const TargetPredictions& t : s.targets)
        if (t.name == name) {
          if (!t.sigma.empty()) {
            std::vector<double> lo(t.mean.size()), hi(t.mean.size());
            for (std::size_t i = 0; i < lo.size(); ++i) {
              const double sig = t.sigma_epistemic.empty() ? t.sigma[i] : std::hypot(t.sigma[i], t.sigma_epistemic[i]);
              lo[i] = t.mean[i] - sig;
              hi[i] = t.mean[i] + sig;
            }
            q.error_bars(s.name, t.truth, t.mean, lo, hi);
          } else {
            q.scatter(s.name, t.truth, t.mean, 1.8);
          }
        }
    q.diagonal("1:1");
    r.figure(q, fmt::format("Predicted {} against the truth{}, with the 1:1 line.", name,
                            " (bars: +-1 sigma, aleatoric and epistemic combined where both exist)"));
  }
}

}  // namespace

std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> gallery_selection(const SetPredictions& set,
                                                                                   double threshold, int count) {
  if (count < 0) throw ConfigError(fmt::format("gallery_selection: count = {}: must be >= 0", count));
  std::vector<std::int64_t> fp, missed;
  if (!set.classifies()) return {fp, missed};
  const std::vector<double> p = calibrated_probabilities(set.logits, set.temperature);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const bool called = p[i] >= threshold;
    if (set.labels[i] == 0 && called) fp.push_back(std::int64_t(i));
    if (set.labels[i] == 1 && !called) missed.push_back(std::int64_t(i));
  }
  std::stable_sort(fp.begin(), fp.end(), [&](auto a, auto b) { return p[std::size_t(a)] > p[std::size_t(b)]; });
  std::stable_sort(missed.begin(), missed.end(), [&](auto a, auto b) { return p[std::size_t(a)] < p[std::size_t(b)]; });
  if (fp.size() > std::size_t(count)) fp.resize(static_cast<std::size_t>(count));
  if (missed.size() > std::size_t(count)) missed.resize(static_cast<std::size_t>(count));
  return {fp, missed};
}

GalleryTile cutout_tile(std::span<const float> pixels, int channels, int height, int width, std::string caption) {
  if (channels < 1 || height < 1 || width < 1 || pixels.size() != std::size_t(channels) * std::size_t(height) * std::size_t(width))
    throw ConfigError(fmt::format("cutout_tile: {} pixels for shape [{}, {}, {}]", pixels.size(), channels, height, width));
  auto plane = [&](int c) {
    ImageF img(height, width);
    std::copy_n(pixels.data() + std::size_t(c) * std::size_t(height) * std::size_t(width), std::size_t(height) * width,
                img.data());
    return asinh_stretch(img);
  };
  GalleryTile t;
  t.caption = std::move(caption);
  if (channels < 3)
    t.png = encode_png_gray(plane(0));
  else
    t.png = encode_png_rgb(plane(channels - 1), plane(channels - 2), plane(channels - 3));
  return t;
}

nlohmann::json evaluation_json(const Evaluation& e) {
  nlohmann::json j;
  j["title"] = e.title;
  j["about"] = nlohmann::json::object();
  for (const auto& [k, v] : e.about) j["about"][k] = v;
  const EvalOptions& o = e.options;
  j["options"] = {{"threshold", o.threshold},
                  {"fixed_fpr", o.fixed_fpr},
                  {"bootstrap", o.bootstrap},
                  {"level", o.level},
                  {"seed", o.seed},
                  {"reliability_bins", o.reliability_bins},
                  {"completeness_bins", o.completeness_bins},
                  {"outlier_sigma", o.regression.outlier_sigma},
                  {"outlier_relative", o.regression.outlier_relative}};
  if (e.temperature_fit)
    j["temperature_fit"] = {{"source", e.temperature_source},
                            {"temperature", e.temperature_fit->temperature},
                            {"nll_before", e.temperature_fit->nll_before},
                            {"nll_after", e.temperature_fit->nll_after},
                            {"at_bound", e.temperature_fit->at_bound}};
  j["sets"] = nlohmann::json::array();
  for (const SetMetrics& m : e.metrics) j["sets"].push_back(m);
  return j;
}

std::string evaluation_csv(const Evaluation& e) {
  std::string out = "set,group,metric,value,lower,upper\n";
  auto csv_field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto full = [](double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{:.17g}", v); };
  auto row = [&](const std::string& set, const std::string& group, const std::string& metric, const ConfidenceInterval& c) {
    const bool iv = !std::isnan(c.lower) && !std::isnan(c.upper);
    out += fmt::format("{},{},{},{},{},{}\n", csv_field(set), csv_field(group), csv_field(metric), full(c.value),
                       iv ? full(c.lower) : "", iv ? full(c.upper) : "");
  };
  auto value = [](double v) {
    ConfidenceInterval c;
    c.value = v;
    return c;
  };
  for (const SetMetrics& m : e.metrics) {
    row(m.name, "set", "size", value(double(m.size)));
    if (m.classification) {
      const ClassificationMetrics& c = *m.classification;
      row(m.name, "classification", "positives", value(double(c.positives)));
      row(m.name, "classification", "negatives", value(double(c.negatives)));
      for (const ScalarMetric& s : c.scalars) row(m.name, "classification", s.name, s.value);
      row(m.name, "classification", "threshold_tpr0", value(c.tpr0.threshold));
      row(m.name, "classification", "threshold_tpr10", value(c.tpr10.threshold));
      for (std::size_t k = 0; k < c.at_fpr.size(); ++k)
        row(m.name, "classification", fmt::format("threshold_at_fpr_{:g}", e.options.fixed_fpr[k]), value(c.at_fpr[k].threshold));
      for (const CompletenessBin& b : c.by_subtype) row(m.name, "subtype:" + b.name, "fraction_called_lens", b.fraction);
      for (const BinnedCompleteness& bc : c.binned)
        for (const CompletenessBin& b : bc.bins) row(m.name, fmt::format("{}[{}]", bc.variable, b.name), "completeness", b.fraction);
    }
    for (const TargetMetrics& t : m.targets) {
      const RegressionMetrics& r = t.metrics;
      const std::string g = "target:" + t.name;
      row(m.name, g, "count", value(double(r.count)));
      for (const auto& [name, v] : {std::pair{"bias", r.bias}, {"rms", r.rms}, {"robust_scatter", r.robust_scatter}}) {
        const ScalarMetric* s = find(t.intervals, name);
        row(m.name, g, name, s ? s->value : value(v));
      }
      row(m.name, g, "median_residual", value(r.median_residual));
      row(m.name, g, "relative_median", value(r.relative_median));
      row(m.name, g, "relative_robust_scatter", value(r.relative_robust_scatter));
      row(m.name, g, "outlier_fraction", value(r.outlier_fraction));
      row(m.name, g, "r2", value(r.r2));
      for (const auto& [kind, c] : t.coverage)
        row(m.name, fmt::format("coverage:{}:{}", t.name, kind), fmt::format("coverage_{:.4g}", c.nominal), c.fraction);
    }
  }
  return out;
}

HtmlReport evaluation_report(const Evaluation& e) {
  if (e.metrics.size() != e.sets.size() || (!e.galleries.empty() && e.galleries.size() != e.sets.size()))
    throw ConfigError(fmt::format("evaluation_report: {} sets, {} metrics, {} galleries: must match", e.sets.size(),
                                  e.metrics.size(), e.galleries.size()));
  HtmlReport r(e.title);
  if (!e.about.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : e.about) rows.push_back({k, v});
    r.table({"", ""}, rows);
  }
  std::vector<std::vector<std::string>> sets;
  for (const SetMetrics& m : e.metrics) sets.push_back({m.name, m.path, std::to_string(m.size)});
  r.heading("Test sets");
  r.table({"set", "path", "examples"}, sets);
  classification_section(r, e);
  regression_section(r, e);
  if (!e.galleries.empty()) {
    r.heading("Galleries");
    r.paragraph(fmt::format("Model inputs as the network saw them (asinh stretch per channel). Threshold {:g}.",
                            e.options.threshold));
    for (std::size_t s = 0; s < e.sets.size(); ++s) {
      r.gallery(fmt::format("{}: most confident false positives", e.sets[s].name), e.galleries[s].false_positives);
      r.gallery(fmt::format("{}: missed lenses (lowest probability first)", e.sets[s].name), e.galleries[s].missed);
    }
  }
  return r;
}

void write_evaluation(const Evaluation& e, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create output folder '{}': {}", dir, ec.message()));
  const std::filesystem::path d(dir);
  const HtmlReport report = evaluation_report(e);
  write_text(d / "metrics.json", evaluation_json(e).dump(2) + "\n");
  write_text(d / "metrics.csv", evaluation_csv(e));
  report.write((d / "report.html").string());
}

}  // namespace lensforge::eval
