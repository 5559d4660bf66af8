#pragma once
// Area under the ROC curve from ranks (Mann-Whitney U / (P N)), ties given their mean rank.
// Private to lensforge::train (the trainer's per-epoch validation metric; lensforge::eval has the
// full ROC analysis).
#include <vector>

namespace lensforge::train::torch_impl {

/// scores and labels (1 positive, 0 negative) of equal length; NaN when either class is absent.
double rank_auroc(const std::vector<float>& scores, const std::vector<float>& labels);

}  // namespace lensforge::train::torch_impl
