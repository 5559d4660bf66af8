#pragma once
// Every metric of one test set (set_predictions.hpp): classification (ROC, AUROC, TPR0, TPR10, TPR
// at fixed FPR, threshold metrics, completeness per subtype and binned, calibration) with
// stratified bootstrap intervals, and regression (bias, scatter, outliers, R^2, interval coverage).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lensforge/train/eval/bootstrap.hpp"
#include "lensforge/train/eval/completeness.hpp"
#include "lensforge/train/eval/interval_coverage.hpp"
#include "lensforge/train/eval/regression_metrics.hpp"
#include "lensforge/train/eval/reliability_diagram.hpp"
#include "lensforge/train/eval/roc_curve.hpp"
#include "lensforge/train/eval/set_predictions.hpp"
#include "lensforge/train/eval/threshold_metrics.hpp"

namespace lensforge::eval {

struct EvalOptions {
  double threshold = 0.5;              ///< probability threshold for threshold metrics and completeness, [0, 1]
  std::vector<double> fixed_fpr = {0.01, 0.001};  ///< report the TPR at these FPRs, each [0, 1]
  /// Bootstrap resamples for intervals of the scalar metrics, [0, 1e6]; 0: no intervals. Resamples
  /// are stratified by class (P and N fixed), so TPR0/TPR10 keep their meaning.
  int bootstrap = 1000;
  double level = 0.95;                 ///< confidence level of every interval, (0, 1)
  std::uint64_t seed = 0;              ///< bootstrap seed
  int reliability_bins = 10;           ///< [1, 1000]
  int completeness_bins = 6;           ///< equal-count bins of each variable (positives), [1, 100]
  int histogram_bins = 40;             ///< score histograms, [1, 1000]
  RegressionOptions regression;
  std::string validate() const;
};

/// A named scalar with its interval (NaN bounds when not bootstrapped).
struct ScalarMetric {
  std::string name;
  ConfidenceInterval value;
};

struct BinnedCompleteness {
  std::string variable;
  std::string unit;
  std::vector<CompletenessBin> bins;
};

struct ClassificationMetrics {
  std::int64_t positives = 0;
  std::int64_t negatives = 0;
  RocCurve roc;                        ///< of the probabilities
  OperatingPoint tpr0, tpr10;          ///< TPR_k with k = 1, 10 (roc_curve.hpp)
  std::vector<OperatingPoint> at_fpr;  ///< one per EvalOptions::fixed_fpr
  ThresholdMetrics at_threshold;
  /// auroc, tpr0, tpr10, tpr_at_fpr_<f>, accuracy, precision, recall, f1, ece, ece_uncalibrated
  /// (at T = 1; only when the set's temperature is not 1), mean_probability_std (MC dropout).
  std::vector<ScalarMetric> scalars;
  std::vector<ReliabilityBin> reliability;
  double ece = 0.0;
  std::vector<CompletenessBin> by_subtype;       ///< empty without subtypes
  std::vector<BinnedCompleteness> binned;        ///< one per variable with >= 2 distinct positive values
};

struct TargetMetrics {
  std::string name;
  std::string unit;
  RegressionMetrics metrics;
  std::vector<ScalarMetric> intervals;  ///< bootstrap intervals of bias, rms, robust_scatter
  /// kind ("aleatoric", "epistemic", "combined") and the 68.27% and 95% coverages of each sigma given.
  std::vector<std::pair<std::string, IntervalCoverage>> coverage;
};

struct SetMetrics {
  std::string name;
  std::string path;
  std::int64_t size = 0;
  std::optional<ClassificationMetrics> classification;
  std::vector<TargetMetrics> targets;
};

/// Computes everything for one set (ConfigError for invalid options or predictions).
SetMetrics evaluate_set(const SetPredictions& set, const EvalOptions& options);

void to_json(nlohmann::json& j, const SetMetrics& m);

}  // namespace lensforge::eval
