#include "lensforge/train/eval/binary_labels.hpp"

#include <cmath>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::eval {

void check_scores_and_labels(std::span<const double> scores, std::span<const int> labels, const char* what) {
  if (scores.size() != labels.size())
    throw ConfigError(fmt::format("{}: {} scores but {} labels", what, scores.size(), labels.size()));
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) throw ConfigError(fmt::format("{}: score[{}] is NaN", what, i));
    if (labels[i] != 0 && labels[i] != 1)
      throw ConfigError(fmt::format("{}: label[{}] = {}: must be 0 or 1", what, i, labels[i]));
  }
}

std::int64_t count_positives(std::span<const int> labels) {
  std::int64_t p = 0;
  for (const int l : labels) p += l == 1;
  return p;
}

}  // namespace lensforge::eval
