#pragma once
// The outputs of an evaluation run: metrics.json, metrics.csv and report.html in one folder.
//
// metrics.json: {"title", "about": {key: value}, "options": {...}, "temperature_fit": {...} or
//   absent, "sets": [to_json(SetMetrics) ...]}; non-finite numbers are null.
// metrics.csv: one row per scalar: set,group,metric,value,lower,upper  (group: "classification",
//   "subtype:<name>", "<variable>[<bin>]", "target:<name>", "coverage:<target>:<sigma>"; lower/upper
//   empty where no interval was computed; NaN written as "nan").
// report.html: one self-contained page: summary tables, ROC curves of all sets on one plot (log
//   FPR), score histograms per set (positives and negatives), completeness per subtype and
//   binned in each variable, the reliability diagram, predicted-vs-true plots and the coverage
//   table per target, and galleries of the most confident false positives and the missed lenses.
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lensforge/train/eval/html_report.hpp"
#include "lensforge/train/eval/set_metrics.hpp"
#include "lensforge/train/eval/set_predictions.hpp"
#include "lensforge/train/eval/temperature_scaling.hpp"

namespace lensforge::eval {

/// Images of one set's gallery (see gallery_selection for which examples).
struct SetGallery {
  std::vector<GalleryTile> false_positives;
  std::vector<GalleryTile> missed;
};

struct Evaluation {
  std::string title = "lensforge evaluation";
  /// Lines shown at the top and stored in metrics.json (checkpoint, architecture, bands, ...).
  std::vector<std::pair<std::string, std::string>> about;
  EvalOptions options;
  std::optional<TemperatureFit> temperature_fit;  ///< when a temperature was fitted
  std::string temperature_source;                 ///< the validation set it was fitted on
  std::vector<SetPredictions> sets;
  std::vector<SetMetrics> metrics;                ///< one per set, same order
  std::vector<SetGallery> galleries;              ///< one per set, or empty (no galleries)
};

/// Positions (into the set's arrays) of the gallery examples at `threshold`: the negatives
/// called positive, highest probability first, and the positives not called, lowest first; at
/// most `count` of each (count >= 0). Empty when the set does not classify.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> gallery_selection(const SetPredictions& set,
                                                                                   double threshold, int count);

/// A gallery tile from a model input [C, H, W] (row 0 at the bottom): one or two channels show
/// channel 0 in grey, three or more the last three as R, G, B (red = last, the reddest band as
/// bands are listed blue to red); each asinh-stretched on its own (io/png.hpp). ConfigError when
/// pixels.size() != C * H * W.
GalleryTile cutout_tile(std::span<const float> pixels, int channels, int height, int width, std::string caption);

nlohmann::json evaluation_json(const Evaluation& e);
std::string evaluation_csv(const Evaluation& e);
HtmlReport evaluation_report(const Evaluation& e);

/// Creates `dir` if needed and writes metrics.json, metrics.csv and report.html there (IoError
/// naming the file on failure).
void write_evaluation(const Evaluation& e, const std::string& dir);

}  // namespace lensforge::eval
