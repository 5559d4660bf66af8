#include "lensforge/train/predictor.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "checkpoint.hpp"
#include "device.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "losses.hpp"
#include "models.hpp"

namespace lensforge::train {
namespace {

/// Images per forward pass: bounds the activation memory of large requests.
constexpr std::int64_t kChunk = 256;

}  // namespace

struct Predictor::Impl {
  ModelCard card;
  torch::Device device{torch::kCPU};
  torch_impl::LensNet model{nullptr};
  double temperature = 1.0;

  torch::Tensor images_tensor(const std::vector<float>& images, std::int64_t n) const {
    const InputShape& s = card.model.input;
    if (n < 0 || std::int64_t(images.size()) != n * s.numel()) {
      throw ConfigError(fmt::format("predict: {} values for {} images of {}x{}x{}: expected {}", images.size(), n,
                                    s.channels, s.height, s.width, n * s.numel()));
    }
    // The buffer is only read: from_blob does not copy, and .to() copies only for another device.
    const torch::Tensor x =
        torch::from_blob(const_cast<float*>(images.data()), {n, s.channels, s.height, s.width}, torch::kFloat32);
    return x.to(device);
  }
};

Predictor::Predictor(const std::string& checkpoint_path, const std::string& device, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->device = torch_impl::parse_device(device);
  torch_impl::set_torch_threads(threads);
  torch_impl::CheckpointReader reader(checkpoint_path);
  impl_->card = reader.card();
  impl_->temperature = impl_->card.temperature;
  impl_->model = reader.load_model();
  impl_->model->to(impl_->device);
  impl_->model->eval();
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

const ModelCard& Predictor::card() const { return impl_->card; }

void Predictor::set_temperature(double temperature) {
  if (!(temperature > 0.0) || !std::isfinite(temperature)) {
    throw ConfigError(fmt::format("temperature = {}: must be finite and > 0", temperature));
  }
  impl_->temperature = temperature;
}

Example Predictor::prepare(const RawExample& raw, const std::vector<BandSchema>& bands,
                           const std::vector<std::string>& columns) const {
  const ModelCard& c = impl_->card;
  for (const auto& name : c.stack.bands) {
    bool found = false;
    for (const auto& b : bands) found = found || b.name == name;
    if (!found) {
      std::string have;
      for (const auto& b : bands) have += (have.empty() ? "" : ", ") + b.name;
      throw ConfigError(fmt::format("prepare: the model needs band \"{}\"; the image has {}", name, have));
    }
  }
  // Targets are read only when every one of them is among the columns given (evaluation);
  // plain inference has no labels.
  TaskSpec task = c.task;
  for (const auto& t : task.targets) {
    if (std::find(columns.begin(), columns.end(), t) == columns.end()) {
      task.targets.clear();
      break;
    }
  }
  // Pixels need no labels: a regression-only model whose targets were dropped keeps a valid task
  // (the label is then read from "class" where present, else 0).
  if (task.targets.empty()) task.classify = true;
  return prepare_example(raw, bands, columns, c.stack, c.preprocess, task, nullptr, nullptr);
}

Predictions Predictor::predict(const std::vector<float>& images, std::int64_t n, int mc_samples,
                               std::uint64_t seed) const {
  if (mc_samples < 0) throw ConfigError(fmt::format("predict: mc_samples = {}: must be >= 0", mc_samples));
  Impl& m = *impl_;
  const torch::Tensor x = m.images_tensor(images, n);
  const int T = m.card.model.num_targets;
  const bool classify = m.card.model.classify;
  torch::Tensor scale = torch::ones({T}, torch::kFloat64), offset = torch::zeros({T}, torch::kFloat64);
  for (int t = 0; t < T && t < int(m.card.scaling.scale.size()); ++t) {
    scale[t] = m.card.scaling.scale[t];
    offset[t] = m.card.scaling.mean[t];
  }
  scale = scale.to(torch::kFloat32).to(m.device);
  offset = offset.to(torch::kFloat32).to(m.device);

  torch::NoGradGuard no_grad;
  m.model->eval();
  std::vector<torch::Tensor> logits, means, sigmas, prob_std, mean_std;
  for (std::int64_t start = 0; start < n; start += kChunk) {
    const torch::Tensor xb = x.narrow(0, start, std::min(kChunk, n - start));
    m.model->set_monte_carlo(false);
    const torch_impl::ModelOutput out = m.model->forward(xb);
    if (classify) logits.push_back(out.logit);
    if (T > 0) {
      means.push_back(out.mean * scale + offset);
      const torch::Tensor lv = out.log_var.clamp(torch_impl::kMinLogVar, torch_impl::kMaxLogVar);
      sigmas.push_back(torch::exp(0.5 * lv) * scale);
    }
    if (mc_samples > 0) {
      // Every chunk restarts the generator at (seed, chunk start): results do not depend on how
      // many images are predicted together beyond the chunking, which is fixed.
      m.model->dropout_control().generator.set_current_seed(seed ^ (0x9E3779B97F4A7C15ULL * std::uint64_t(start + 1)));
      m.model->set_monte_carlo(true);
      std::vector<torch::Tensor> p_s, mu_s;
      for (int s = 0; s < mc_samples; ++s) {
        const torch_impl::ModelOutput o = m.model->forward(xb);
        if (classify) p_s.push_back(torch::sigmoid(o.logit / m.temperature));
        if (T > 0) mu_s.push_back(o.mean * scale + offset);
      }
      m.model->set_monte_carlo(false);
      // Sample standard deviation over the passes (n - 1 in the denominator; 0 for one pass).
      const bool unbiased = mc_samples > 1;
      if (classify) prob_std.push_back(mc_samples > 1 ? torch::stack(p_s).std(0, unbiased) : torch::zeros_like(p_s[0]));
      if (T > 0) mean_std.push_back(mc_samples > 1 ? torch::stack(mu_s).std(0, unbiased) : torch::zeros_like(mu_s[0]));
    }
  }
  auto to_vector = [](const std::vector<torch::Tensor>& parts) {
    if (parts.empty()) return std::vector<float>{};
    const torch::Tensor t = torch::cat(parts).to(torch::kCPU).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  };
  Predictions p;
  p.size = n;
  p.num_targets = T;
  p.logit = to_vector(logits);
  if (classify) {
    p.probability.resize(p.logit.size());
    for (std::size_t i = 0; i < p.logit.size(); ++i) {
      p.probability[i] = float(1.0 / (1.0 + std::exp(-double(p.logit[i]) / m.temperature)));
    }
  }
  p.mean = to_vector(means);
  p.sigma = to_vector(sigmas);
  p.sigma_epistemic = to_vector(mean_std);
  p.probability_std = to_vector(prob_std);
  return p;
}

std::vector<float> Predictor::logit_gradient(const std::vector<float>& images, std::int64_t n,
                                             std::vector<float>* logits) const {
  Impl& m = *impl_;
  if (!m.card.model.classify) throw ConfigError("logit_gradient: the model has no classification output");
  torch::Tensor x = m.images_tensor(images, n).clone().requires_grad_(true);
  m.model->eval();
  m.model->set_monte_carlo(false);
  const torch_impl::ModelOutput out = m.model->forward(x);
  // Examples are independent in eval mode, so the gradient of the sum is each logit's own gradient.
  out.logit.sum().backward();
  const torch::Tensor g = x.grad().to(torch::kCPU).contiguous();
  if (logits) {
    const torch::Tensor l = out.logit.detach().to(torch::kCPU).contiguous();
    logits->assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
  }
  m.model->zero_grad();
  return std::vector<float>(g.data_ptr<float>(), g.data_ptr<float>() + g.numel());
}

}  // namespace lensforge::train
