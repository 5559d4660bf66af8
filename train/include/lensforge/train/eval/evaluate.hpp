#pragma once
// Evaluates a checkpoint on lensforge HDF5 test sets: runs the Predictor over every example
// (images prepared exactly as in training: open_dataset_source + Predictor::prepare), computes
// every metric of set_metrics.hpp, and writes metrics.json, metrics.csv and report.html
// (evaluation.hpp) to the output folder. Library lensforge::evaluate (links lensforge::train and
// lensforge::eval; torch-free itself).
//
// Calibration: with a validation set, the temperature T is fitted on its logits
// (temperature_scaling.hpp), the test sets' probabilities become sigmoid(logit / T), and a copy of
// the checkpoint with T in its card is written as OUTPUT/calibrated.pt (the original is not
// touched); Predictor and lensforge-infer use a card's temperature, so that copy is the
// calibrated model. Without a validation set the card's own temperature is used.
//
// Truth read from each file: "class" (required when the model classifies), "subtype" (optional),
// the card's regression targets, and the completeness variables present among lens_theta_E,
// arc_snr, source1_magnification, source1_mag_<first band of the model> and the ratio
// lens2_theta_E / lens_theta_E.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "lensforge/train/eval/evaluation.hpp"

namespace lensforge::eval {

struct EvaluateOptions {
  std::string checkpoint;               ///< .pt written by lensforge-train
  std::vector<std::string> data;        ///< test sets (HDF5), at least one
  std::string validation;               ///< optional: set to fit the temperature on
  std::string output_dir = "evaluation";
  int mc_samples = 0;                   ///< Monte Carlo dropout passes per image, [0, 10000]; 0: none
  std::uint64_t seed = 0;               ///< MC dropout and bootstrap seed
  int batch_size = 64;                  ///< images per Predictor call, [1, 65536]
  std::int64_t max_examples = 0;        ///< per set: only the first rows, >= 0; 0: all
  int gallery = 12;                     ///< tiles per gallery (false positives, missed lenses), [0, 1000]
  std::string device = "cpu";           ///< "cpu" or "cuda"
  int threads = 0;                      ///< torch threads, [0, 4096]; 0: all cores
  EvalOptions metrics;                  ///< threshold, bootstrap, levels, bins
  std::string validate() const;
};

/// Runs the evaluation and writes the three files. Progress lines go to `log` (one per set).
/// Throws ConfigError for invalid options or files that lack a needed band or column, IoError for
/// unreadable files or an unwritable output folder.
Evaluation evaluate(const EvaluateOptions& options, std::ostream& log);

}  // namespace lensforge::eval
