#pragma once
// Training losses. Private to lensforge::train.
//
//   classification  binary cross-entropy with logits, positives weighted by TaskSpec::positive_weight
//                   (mean over the batch, weights as in torch.nn.BCEWithLogitsLoss(pos_weight)).
//   regression      heteroscedastic Gaussian negative log-likelihood per standardised target
//                     0.5 * (log s^2 + (y - mu)^2 / s^2) + 0.5 * log(2 pi)
//                   (the constant included, so the value is a true NLL in standardised units and
//                   equals torch.nn.GaussianNLLLoss(full=True) with var = s^2 inside the clamp),
//                   averaged over the entries that count: finite targets, and only positives'
//                   when TaskSpec::regress_positives_only. The log-variance is clamped to
//                   [kMinLogVar, kMaxLogVar] (the clamp passes no gradient outside it).
//   total           classification + regression (each term only when the task has it).
#include <torch/torch.h>

#include "lensforge/train/data/specs.hpp"
#include "models.hpp"

namespace lensforge::train::torch_impl {

/// Clamp of the predicted log-variance of a standardised target: s in [e^-5, e^5] = [0.0067,
/// 148] standard deviations of the training targets. Below, a confident wrong prediction makes
/// the loss and its gradient explode; above, the prediction carries no information anyway.
inline constexpr double kMinLogVar = -10.0;
inline constexpr double kMaxLogVar = 10.0;

/// Mean BCE with logits; logit and label [n], label 0/1.
torch::Tensor bce_loss(const torch::Tensor& logit, const torch::Tensor& label, double positive_weight);

/// Mean Gaussian NLL (formula above) over entries where `mask` is true; mean, log_var, target,
/// mask [n, T]; target may be NaN where masked. Zero (with a zero gradient) when nothing counts.
torch::Tensor gaussian_nll(const torch::Tensor& mean, const torch::Tensor& log_var, const torch::Tensor& target,
                           const torch::Tensor& mask);

/// Which regression entries count: finite target and, with positives_only, label > 0.5. [n, T] bool.
torch::Tensor regression_mask(const torch::Tensor& target, const torch::Tensor& label, bool positives_only);

struct LossTerms {
  torch::Tensor total;           ///< scalar that is back-propagated
  torch::Tensor classification;  ///< scalar, undefined without a classifier
  torch::Tensor regression;      ///< scalar, undefined without targets
  std::int64_t regression_count = 0;  ///< entries in the regression mean
};

/// Loss of a batch: labels [n], targets [n, T] standardised (NaN where missing).
LossTerms compute_loss(const ModelOutput& out, const torch::Tensor& labels, const torch::Tensor& targets,
                       const TaskSpec& task);

/// Data-parallel training: a process's part of the loss of a global batch, the sums over its
/// examples divided by the global batch's counts, so that the parts (and their gradients) add up
/// over the processes to the loss (gradient) of the whole batch. regression_count stays local.
struct GlobalCounts {
  double images = 0;              ///< examples in the global batch
  double regression_entries = 0;  ///< regression entries that count in the global batch
};
LossTerms compute_loss_part(const ModelOutput& out, const torch::Tensor& labels, const torch::Tensor& targets,
                            const TaskSpec& task, const GlobalCounts& global);

}  // namespace lensforge::train::torch_impl
