#pragma once
// What a model predicted for one test set, beside the truth: the input of evaluate_set(). Filled by
// evaluate() from a checkpoint and an HDF5 data set, or directly (tests, other models' outputs).
// Per-example arrays share one order (example k of each).
#include <cstdint>
#include <string>
#include <vector>

namespace lensforge::eval {

/// A physical variable to bin completeness in (theta_E, arc S/N, ...); NaN where it does not apply.
struct BinVariable {
  std::string name;            ///< e.g. "lens_theta_E", or "lens2_theta_E/lens_theta_E"
  std::string unit;            ///< e.g. "arcsec"; "" dimensionless
  std::vector<double> values;  ///< [n]
};

/// One regression target.
struct TargetPredictions {
  std::string name;                      ///< label column, e.g. "lens_theta_E"
  std::string unit;
  std::vector<double> truth;             ///< [n], NaN where it does not apply
  std::vector<double> mean;              ///< [n] predicted
  std::vector<double> sigma;             ///< [n] aleatoric 1-sigma (empty: none)
  std::vector<double> sigma_epistemic;   ///< [n] MC dropout spread (empty unless MC samples were drawn)
};

struct SetPredictions {
  std::string name;                    ///< short name for tables and legends (the file's stem)
  std::string path;                    ///< where the examples came from
  std::vector<std::int64_t> indices;   ///< [n] rows in the data set
  std::vector<int> labels;             ///< [n] class 0/1
  std::vector<std::string> subtypes;   ///< [n] or empty
  /// [n] model logits, empty when the model does not classify. Probabilities are
  /// sigmoid(logit / temperature).
  std::vector<double> logits;
  double temperature = 1.0;            ///< > 0
  std::vector<double> probability_std; ///< [n] MC dropout spread of the probability, or empty
  std::vector<BinVariable> variables;
  std::vector<TargetPredictions> targets;

  std::int64_t size() const { return std::int64_t(labels.size()); }
  bool classifies() const { return !logits.empty(); }
  /// Sizes consistent (every non-empty array [n]), labels 0/1, temperature > 0: "" or a message.
  std::string validate() const;
};

}  // namespace lensforge::eval
