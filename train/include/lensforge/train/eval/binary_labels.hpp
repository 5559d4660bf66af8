#pragma once
// Conventions shared by the classification metrics (roc_curve.hpp, threshold_metrics.hpp,
// completeness.hpp, reliability_diagram.hpp, temperature_scaling.hpp):
//  - scores: real numbers, higher = more lens-like (probabilities in [0, 1] or logits); NaN refused.
//  - labels: 1 positive (lens-like, the data sets' "class" 1), 0 negative; other values refused.
//  - an example is called positive at threshold t when score >= t.
//  - P, N: the numbers of positives and negatives.
#include <cstdint>
#include <span>

namespace lensforge::eval {

/// Throws ConfigError when the spans differ in length, a score is NaN or a label is not 0 or 1
/// (naming `what`, the index and the value).
void check_scores_and_labels(std::span<const double> scores, std::span<const int> labels, const char* what);

/// Number of labels equal to 1.
std::int64_t count_positives(std::span<const int> labels);

}  // namespace lensforge::eval
