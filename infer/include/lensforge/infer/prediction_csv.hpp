#pragma once
// The table `lensforge-infer predict` writes: one row per object, in input order.
//
//   id, index, status, logit, probability, [probability_std,] <t>_mean, <t>_sigma,
//   [<t>_sigma_epistemic,] ... , message
//
// id: the FITS file, the pattern's object or the data set path; index: the data set row (empty for
// FITS); status "ok" or "error" (then the numeric fields are empty and message says why; "ok" rows
// may carry a warning). logit: the model's score; probability = sigmoid(logit / temperature);
// regression means and aleatoric sigmas in physical units; the _std/_epistemic columns only with
// Monte Carlo dropout. Columns of a head the model lacks are left out. Rows are flushed as written,
// so a run stopped part way leaves a readable table.
#include <fstream>
#include <string>
#include <vector>

#include "lensforge/infer/input_item.hpp"
#include "lensforge/train/predictor.hpp"

namespace lensforge::infer {

class PredictionCsv {
 public:
  /// Creates (replaces) `path` and writes the header. Throws IoError naming the file.
  PredictionCsv(const std::string& path, bool classify, std::vector<std::string> targets, bool mc_dropout);

  /// Row of item k of `predictions`, with `warning` (may be empty) as the message.
  void write_ok(const InputItem& item, const train::Predictions& predictions, std::int64_t k, const std::string& warning);
  void write_error(const InputItem& item, const std::string& message);
  void flush();

  /// The header, for tests and readers.
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  void write_row(const InputItem& item, const std::string& status, const std::vector<std::string>& values,
                 const std::string& message);
  std::string path_;
  std::ofstream out_;
  bool classify_, mc_;
  std::vector<std::string> targets_;
  std::vector<std::string> columns_;
};

/// CSV field: quoted (with "" for ") when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace lensforge::infer
