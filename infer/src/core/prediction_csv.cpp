#include "lensforge/infer/prediction_csv.hpp"

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::infer {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

PredictionCsv::PredictionCsv(const std::string& path, bool classify, std::vector<std::string> targets, bool mc_dropout)
    : path_(path), out_(path), classify_(classify), mc_(mc_dropout), targets_(std::move(targets)) {
  if (!out_) throw IoError(fmt::format("{}: cannot create the scores table", path));
  columns_ = {"id", "index", "status"};
  if (classify_) {
    columns_.push_back("logit");
    columns_.push_back("probability");
    if (mc_) columns_.push_back("probability_std");
  }
  for (const std::string& t : targets_) {
    columns_.push_back(t + "_mean");
    columns_.push_back(t + "_sigma");
    if (mc_) columns_.push_back(t + "_sigma_epistemic");
  }
  columns_.push_back("message");
  std::string line;
  for (std::size_t k = 0; k < columns_.size(); ++k) line += (k ? "," : "") + csv_field(columns_[k]);
  out_ << line << '\n';
  flush();
}

void PredictionCsv::write_ok(const InputItem& item, const train::Predictions& p, std::int64_t k,
                             const std::string& warning) {
  std::vector<std::string> v;
  auto num = [](float x) { return fmt::format("{}", x); };
  if (classify_) {
    v.push_back(num(p.logit.at(k)));
    v.push_back(num(p.probability.at(k)));
    if (mc_) v.push_back(p.probability_std.empty() ? "" : num(p.probability_std.at(k)));
  }
  const std::size_t T = targets_.size();
  for (std::size_t t = 0; t < T; ++t) {
    v.push_back(num(p.mean.at(k * T + t)));
    v.push_back(num(p.sigma.at(k * T + t)));
    if (mc_) v.push_back(p.sigma_epistemic.empty() ? "" : num(p.sigma_epistemic.at(k * T + t)));
  }
  write_row(item, "ok", v, warning);
}

void PredictionCsv::write_error(const InputItem& item, const std::string& message) {
  write_row(item, "error", std::vector<std::string>(columns_.size() - 4), message);
}

void PredictionCsv::write_row(const InputItem& item, const std::string& status, const std::vector<std::string>& values,
                              const std::string& message) {
  std::string line = csv_field(item.id) + "," + (item.kind == InputKind::DATASET ? std::to_string(item.index) : "") +
                     "," + status;
  for (const std::string& v : values) line += "," + v;
  line += "," + csv_field(message);
  out_ << line << '\n';
  if (!out_) throw IoError(fmt::format("{}: writing the scores table failed", path_));
}

void PredictionCsv::flush() {
  out_.flush();
  if (!out_) throw IoError(fmt::format("{}: writing the scores table failed", path_));
}

}  // namespace lensforge::infer
