#include "losses.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lensforge::train::torch_impl {

torch::Tensor bce_loss(const torch::Tensor& logit, const torch::Tensor& label, double positive_weight) {
  namespace F = torch::nn::functional;
  const torch::Tensor w = torch::full({1}, positive_weight, logit.options());
  return F::binary_cross_entropy_with_logits(logit, label, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(w));
}

torch::Tensor regression_mask(const torch::Tensor& target, const torch::Tensor& label, bool positives_only) {
  torch::Tensor mask = torch::isfinite(target);
  if (positives_only) mask = mask & (label > 0.5f).unsqueeze(1);
  return mask;
}

torch::Tensor gaussian_nll(const torch::Tensor& mean, const torch::Tensor& log_var, const torch::Tensor& target,
                           const torch::Tensor& mask) {
  // Masked entries get target = mean, so they contribute finite values (and no NaN gradient
  // through torch::where's other branch) before the mask removes them.
  const torch::Tensor y = torch::where(mask, target, mean.detach());
  const torch::Tensor lv = log_var.clamp(kMinLogVar, kMaxLogVar);
  const torch::Tensor per = 0.5 * (lv + (y - mean).square() * torch::exp(-lv)) + 0.5 * std::log(2.0 * std::numbers::pi);
  const torch::Tensor m = mask.to(per.scalar_type());
  return (per * m).sum() / m.sum().clamp_min(1.0);
}

LossTerms compute_loss(const ModelOutput& out, const torch::Tensor& labels, const torch::Tensor& targets,
                       const TaskSpec& task) {
  LossTerms terms;
  if (out.logit.defined()) {
    terms.classification = bce_loss(out.logit, labels, task.positive_weight);
    terms.total = terms.classification;
  }
  if (out.mean.defined()) {
    const torch::Tensor mask = regression_mask(targets, labels, task.regress_positives_only);
    terms.regression_count = mask.sum().item<std::int64_t>();
    terms.regression = gaussian_nll(out.mean, out.log_var, targets, mask);
    terms.total = terms.total.defined() ? terms.total + terms.regression : terms.regression;
  }
  return terms;
}

LossTerms compute_loss_part(const ModelOutput& out, const torch::Tensor& labels, const torch::Tensor& targets,
                            const TaskSpec& task, const GlobalCounts& global) {
  namespace F = torch::nn::functional;
  LossTerms terms;
  if (out.logit.defined()) {
    const torch::Tensor w = torch::full({1}, task.positive_weight, out.logit.options());
    terms.classification =
        F::binary_cross_entropy_with_logits(
            out.logit, labels, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(w).reduction(torch::kSum)) /
        std::max(1.0, global.images);
    terms.total = terms.classification;
  }
  if (out.mean.defined()) {
    const torch::Tensor mask = regression_mask(targets, labels, task.regress_positives_only);
    terms.regression_count = mask.sum().item<std::int64_t>();
    // gaussian_nll's mean over the local entries, times their number: the local sum.
    const torch::Tensor local_mean = gaussian_nll(out.mean, out.log_var, targets, mask);
    terms.regression = local_mean * (double(terms.regression_count) / std::max(1.0, global.regression_entries));
    terms.total = terms.total.defined() ? terms.total + terms.regression : terms.regression;
  }
  return terms;
}

}  // namespace lensforge::train::torch_impl
