#pragma once
// The receiver operating characteristic and the figures read off it: AUROC, TPR0 and TPR10 of the
// Lens Finding Challenge (Metcalf et al. 2019, A&A 625, A119) and the TPR at a fixed FPR.
// Conventions of scores and labels: binary_labels.hpp.
//
// Ties: examples with equal scores cannot be separated by any threshold, so they enter the curve
// together as one step (a diagonal segment when the tie mixes classes), and AUROC counts a tied
// positive-negative pair as 1/2 (Mann-Whitney U).
//
// TPR_k ("TPR0" is k = 1, "TPR10" is k = 10): the highest TPR reached at any threshold with fewer
// than k false positives, i.e. the TPR at the lowest threshold (the highest TPR) that still
// admits at most k - 1 negatives: the TPR just before the k-th false positive. A positive scored
// exactly as the k-th false positive is NOT counted: no threshold accepts it without accepting
// that false positive (the conservative reading; it matches the tie-as-one-step curve).
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace lensforge::eval {

struct RocCurve {
  /// Descending: +inf first (nothing called positive, the point (0, 0)), then every distinct
  /// score; at the last one everything is called positive (the point (1, 1)).
  std::vector<double> threshold;
  std::vector<std::int64_t> true_positives;   ///< TP at each threshold
  std::vector<std::int64_t> false_positives;  ///< FP at each threshold
  std::vector<double> tpr;                    ///< TP / P, [0, 1]; NaN everywhere when P = 0
  std::vector<double> fpr;                    ///< FP / N, [0, 1]; NaN everywhere when N = 0
  std::int64_t positives = 0;
  std::int64_t negatives = 0;
};

/// A threshold and the rates there.
struct OperatingPoint {
  double threshold = std::numeric_limits<double>::infinity();  ///< call positive when score >= threshold
  std::int64_t true_positives = 0;
  std::int64_t false_positives = 0;
  double tpr = std::numeric_limits<double>::quiet_NaN();  ///< NaN when P = 0
  double fpr = std::numeric_limits<double>::quiet_NaN();  ///< NaN when N = 0
};

/// The ROC curve (ConfigError for NaN scores, labels other than 0/1, lengths that differ).
RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels);

/// Area under the ROC curve = P(score of a random positive > that of a random negative) + 1/2
/// P(equal). NaN when P = 0 or N = 0 (undefined).
double auroc(std::span<const double> scores, std::span<const int> labels);
double auroc(const RocCurve& roc);

/// TPR_k (k >= 1, else ConfigError): the operating point at the lowest threshold with fewer than
/// k false positives (see above). threshold = +inf and TPR 0 when the highest-scored example is a
/// negative tied into the k-th false positive already. TPR NaN when P = 0; with N = 0 no
/// threshold gives a false positive, so TPR_k = 1.
OperatingPoint tpr_before_false_positives(const RocCurve& roc, std::int64_t k);
OperatingPoint tpr_before_false_positives(std::span<const double> scores, std::span<const int> labels,
                                          std::int64_t k);

/// The operating point of highest TPR with FPR <= max_fpr (max_fpr in [0, 1], else ConfigError;
/// FP <= max_fpr * N compared with a relative tolerance of 1e-12). All NaN (threshold too) when N = 0.
OperatingPoint tpr_at_fpr(const RocCurve& roc, double max_fpr);
OperatingPoint tpr_at_fpr(std::span<const double> scores, std::span<const int> labels, double max_fpr);

}  // namespace lensforge::eval
