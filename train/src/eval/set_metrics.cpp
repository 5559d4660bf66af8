#include "lensforge/train/eval/set_metrics.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/temperature_scaling.hpp"

namespace lensforge::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ScalarMetric plain(std::string name, double v) {
  ScalarMetric s;
  s.name = std::move(name);
  s.value.value = v;
  return s;
}

ClassificationMetrics classify(const SetPredictions& set, const EvalOptions& o) {
  ClassificationMetrics c;
  const std::vector<double> p = calibrated_probabilities(set.logits, set.temperature);
  const std::span<const int> y = set.labels;
  c.roc = roc_curve(p, y);
  c.positives = c.roc.positives;
  c.negatives = c.roc.negatives;
  c.tpr0 = tpr_before_false_positives(c.roc, 1);
  c.tpr10 = tpr_before_false_positives(c.roc, 10);
  for (const double f : o.fixed_fpr) c.at_fpr.push_back(tpr_at_fpr(c.roc, f));
  c.at_threshold = threshold_metrics(p, y, o.threshold);
  c.reliability = reliability_diagram(p, y, o.reliability_bins, o.level);
  c.ece = expected_calibration_error(c.reliability);

  // The bootstrapped scalars, all from one resample at a time.
  std::vector<std::string> names = {"auroc", "tpr0", "tpr10"};
  for (const double f : o.fixed_fpr) names.push_back(fmt::format("tpr_at_fpr_{:g}", f));
  for (const char* s : {"accuracy", "precision", "recall", "f1", "ece"}) names.emplace_back(s);
  auto stats = [&](std::span<const double> ps, std::span<const int> ys) {
    const RocCurve roc = roc_curve(ps, ys);
    std::vector<double> v = {auroc(roc), tpr_before_false_positives(roc, 1).tpr, tpr_before_false_positives(roc, 10).tpr};
    for (const double f : o.fixed_fpr) v.push_back(tpr_at_fpr(roc, f).tpr);
    const ThresholdMetrics t = threshold_metrics(ps, ys, o.threshold);
    v.insert(v.end(), {t.accuracy, t.precision, t.recall, t.f1,
                       expected_calibration_error(reliability_diagram(ps, ys, o.reliability_bins, o.level))});
    return v;
  };
  const std::vector<double> full = stats(p, y);
  if (o.bootstrap > 0 && !p.empty()) {
    BootstrapOptions b;
    b.resamples = o.bootstrap;
    b.level = o.level;
    b.seed = o.seed;
    const auto ci = bootstrap_intervals(
        set.size(), int(names.size()),
        [&](std::span<const std::int64_t> idx) {
          const std::vector<double> ps = gather<double>(p, idx);
          const std::vector<int> ys = gather<int>(y, idx);
          return stats(ps, ys);
        },
        b, y);
    for (std::size_t k = 0; k < names.size(); ++k) c.scalars.push_back({names[k], ci[k]});
  } else {
    for (std::size_t k = 0; k < names.size(); ++k) c.scalars.push_back(plain(names[k], full[k]));
  }
  if (set.temperature != 1.0)
    c.scalars.push_back(plain("ece_uncalibrated", expected_calibration_error(reliability_diagram(
                                                       calibrated_probabilities(set.logits, 1.0), y, o.reliability_bins, o.level))));
  if (!set.probability_std.empty()) {
    double sum = 0.0;
    for (const double s : set.probability_std) sum += s;
    c.scalars.push_back(plain("mean_probability_std", sum / double(set.probability_std.size())));
  }

  if (!set.subtypes.empty()) c.by_subtype = completeness_by_subtype(p, y, set.subtypes, o.threshold, o.level);
  for (const BinVariable& v : set.variables) {
    std::vector<double> positive_values;
    for (std::size_t i = 0; i < v.values.size(); ++i)
      if (y[i] == 1) positive_values.push_back(v.values[i]);
    const std::vector<double> edges = quantile_edges(positive_values, o.completeness_bins);
    if (edges.size() < 2) continue;
    c.binned.push_back({v.name, v.unit, completeness_binned(p, y, v.values, edges, o.threshold, o.level)});
  }
  return c;
}

TargetMetrics regress(const TargetPredictions& t, const EvalOptions& o) {
  TargetMetrics m;
  m.name = t.name;
  m.unit = t.unit;
  // Regression is scored on the examples whose truth applies (finite), whatever their class.
  m.metrics = regression_metrics(t.truth, t.mean, o.regression);
  if (o.bootstrap > 0 && m.metrics.count > 0) {
    std::vector<double> truth, mean;
    for (std::size_t i = 0; i < t.truth.size(); ++i)
      if (std::isfinite(t.truth[i]) && std::isfinite(t.mean[i])) {
        truth.push_back(t.truth[i]);
        mean.push_back(t.mean[i]);
      }
    BootstrapOptions b;
    b.resamples = o.bootstrap;
    b.level = o.level;
    b.seed = o.seed;
    const auto ci = bootstrap_intervals(
        std::int64_t(truth.size()), 3,
        [&](std::span<const std::int64_t> idx) {
          const RegressionMetrics r = regression_metrics(gather<double>(truth, idx), gather<double>(mean, idx), o.regression);
          return std::vector<double>{r.bias, r.rms, r.robust_scatter};
        },
        b);
    m.intervals = {{"bias", ci[0]}, {"rms", ci[1]}, {"robust_scatter", ci[2]}};
  }
  auto cover = [&](const std::string& kind, const std::vector<double>& sigma) {
    for (const double nominal : {kOneSigmaLevel, 0.95})
      m.coverage.emplace_back(kind, interval_coverage(t.truth, t.mean, sigma, nominal, o.level));
  };
  if (!t.sigma.empty()) cover("aleatoric", t.sigma);
  if (!t.sigma_epistemic.empty()) cover("epistemic", t.sigma_epistemic);
  if (!t.sigma.empty() && !t.sigma_epistemic.empty()) {
    std::vector<double> combined(t.sigma.size());
    for (std::size_t i = 0; i < combined.size(); ++i) combined[i] = std::hypot(t.sigma[i], t.sigma_epistemic[i]);
    cover("combined", combined);
  }
  return m;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json interval_json(const ConfidenceInterval& c) {
  return {{"value", number(c.value)}, {"lower", number(c.lower)}, {"upper", number(c.upper)}, {"level", c.level}};
}

nlohmann::json point_json(const OperatingPoint& p) {
  return {{"threshold", number(p.threshold)}, {"tpr", number(p.tpr)}, {"fpr", number(p.fpr)},
          {"true_positives", p.true_positives}, {"false_positives", p.false_positives}};
}

nlohmann::json bin_json(const CompletenessBin& b) {
  return {{"name", b.name},   {"class", b.label},       {"low", number(b.low)},
          {"high", number(b.high)}, {"centre", number(b.centre)}, {"count", b.count},
          {"selected", b.selected}, {"fraction", interval_json(b.fraction)}};
}

}  // namespace

std::string EvalOptions::validate() const {
  if (!(threshold >= 0.0 && threshold <= 1.0)) return fmt::format("threshold = {}: must be in [0, 1]", threshold);
  for (const double f : fixed_fpr)
    if (!(f >= 0.0 && f <= 1.0)) return fmt::format("fixed_fpr value {}: must be in [0, 1]", f);
  if (bootstrap < 0 || bootstrap > 1000000) return fmt::format("bootstrap = {}: must be in [0, 1000000]", bootstrap);
  if (!(level > 0.0 && level < 1.0)) return fmt::format("level = {}: must be in (0, 1)", level);
  if (reliability_bins < 1 || reliability_bins > 1000)
    return fmt::format("reliability_bins = {}: must be in [1, 1000]", reliability_bins);
  if (completeness_bins < 1 || completeness_bins > 100)
    return fmt::format("completeness_bins = {}: must be in [1, 100]", completeness_bins);
  if (histogram_bins < 1 || histogram_bins > 1000)
    return fmt::format("histogram_bins = {}: must be in [1, 1000]", histogram_bins);
  return regression.validate();
}

SetMetrics evaluate_set(const SetPredictions& set, const EvalOptions& options) {
  if (const std::string e = options.validate(); !e.empty()) throw ConfigError("evaluation options: " + e);
  if (const std::string e = set.validate(); !e.empty()) throw ConfigError(e);
  SetMetrics m;
  m.name = set.name;
  m.path = set.path;
  m.size = set.size();
  if (set.classifies()) m.classification = classify(set, options);
  for (const TargetPredictions& t : set.targets) m.targets.push_back(regress(t, options));
  return m;
}

void to_json(nlohmann::json& j, const SetMetrics& m) {
  j = {{"name", m.name}, {"path", m.path}, {"size", m.size}};
  if (m.classification) {
    const ClassificationMetrics& c = *m.classification;
    nlohmann::json cj = {{"positives", c.positives}, {"negatives", c.negatives}, {"tpr0", point_json(c.tpr0)},
                         {"tpr10", point_json(c.tpr10)}, {"ece", number(c.ece)}};
    for (const ScalarMetric& s : c.scalars) cj["scalars"][s.name] = interval_json(s.value);
    for (const OperatingPoint& p : c.at_fpr) cj["at_fpr"].push_back(point_json(p));
    const ThresholdMetrics& t = c.at_threshold;
    cj["at_threshold"] = {{"threshold", t.threshold},           {"true_positives", t.true_positives},
                          {"false_positives", t.false_positives}, {"true_negatives", t.true_negatives},
                          {"false_negatives", t.false_negatives}, {"accuracy", number(t.accuracy)},
                          {"precision", number(t.precision)},     {"recall", number(t.recall)},
                          {"false_positive_rate", number(t.false_positive_rate)}, {"f1", number(t.f1)}};
    nlohmann::json roc = {{"threshold", nlohmann::json::array()}, {"tpr", nlohmann::json::array()},
                          {"fpr", nlohmann::json::array()}};
    for (std::size_t k = 0; k < c.roc.threshold.size(); ++k) {
      roc["threshold"].push_back(number(c.roc.threshold[k]));  // +inf first: null
      roc["tpr"].push_back(number(c.roc.tpr[k]));
      roc["fpr"].push_back(number(c.roc.fpr[k]));
    }
    cj["roc"] = roc;
    for (const ReliabilityBin& b : c.reliability)
      cj["reliability"].push_back({{"low", b.low}, {"high", b.high}, {"count", b.count},
                                   {"mean_probability", number(b.mean_probability)},
                                   {"positive_fraction", interval_json(b.positive_fraction)}});
    for (const CompletenessBin& b : c.by_subtype) cj["by_subtype"].push_back(bin_json(b));
    for (const BinnedCompleteness& bc : c.binned) {
      nlohmann::json bins = nlohmann::json::array();
      for (const CompletenessBin& b : bc.bins) bins.push_back(bin_json(b));
      cj["completeness"].push_back({{"variable", bc.variable}, {"unit", bc.unit}, {"bins", bins}});
    }
    j["classification"] = cj;
  }
  for (const TargetMetrics& t : m.targets) {
    const RegressionMetrics& r = t.metrics;
    nlohmann::json tj = {{"name", t.name},
                         {"unit", t.unit},
                         {"count", r.count},
                         {"bias", number(r.bias)},
                         {"rms", number(r.rms)},
                         {"median_residual", number(r.median_residual)},
                         {"robust_scatter", number(r.robust_scatter)},
                         {"relative_median", number(r.relative_median)},
                         {"relative_robust_scatter", number(r.relative_robust_scatter)},
                         {"outlier_fraction", number(r.outlier_fraction)},
                         {"r2", number(r.r2)}};
    for (const ScalarMetric& s : t.intervals) tj["intervals"][s.name] = interval_json(s.value);
    for (const auto& [kind, c] : t.coverage)
      tj["coverage"].push_back({{"sigma", kind}, {"nominal", c.nominal}, {"z", c.z}, {"count", c.count},
                                {"mean_sigma", number(c.mean_sigma)}, {"fraction", interval_json(c.fraction)}});
    j["targets"].push_back(tj);
  }
}

}  // namespace lensforge::eval
