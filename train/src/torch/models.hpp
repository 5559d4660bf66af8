#pragma once
// The lens finders, built from a ModelSpec (model_card.hpp). Private to lensforge::train.
//
//   CNN    after the LASTRO finder (Schaefer et al. 2018, A&A 611, A2): per stage a convolution
//          (5x5 in the first stage, 3x3 after), batch norm (optional), ReLU, 2x2 max pool and
//          channel dropout; then dense + ReLU + dropout and the heads.
//   RESNET after CMU DeepLens (Lanusse et al. 2018, MNRAS 473, 3895): a 3x3 stem convolution,
//          pre-activation residual blocks (BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus the shortcut;
//          He et al. 2016), the first block of every stage after the first with stride 2 and a
//          1x1 projection shortcut, channel dropout after each stage, a final BN-ReLU, global
//          average pooling; then dense + ReLU + dropout and the heads.
//   Heads  one logit (ModelSpec::classify) and, per regression target, a mean and a log-variance
//          of the standardised target.
//
// Dropout is implemented here rather than with torch::nn::Dropout so that its masks come from
// the network's own generator (DropoutControl) instead of LibTorch's global one: a seeded Monte
// Carlo dropout run does not depend on what else the process drew, and the generator's state is
// saved for an exact resume. Masks are drawn on the CPU and moved to the model's device (they are
// [n, features] or [n, channels], small), so a run draws the same masks on every device.
#include <memory>

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "lensforge/train/model_card.hpp"

namespace lensforge::train::torch_impl {

/// Where dropout draws its masks and whether it runs outside training.
struct DropoutControl {
  explicit DropoutControl(std::uint64_t seed);
  /// Dropout active in eval mode too (Monte Carlo dropout); batch norm still uses running stats.
  bool monte_carlo = false;
  at::Generator generator;  ///< CPU generator of every mask
  /// Data-parallel training: the input is rows [global_offset, global_offset + n) of a global
  /// batch of global_rows (0: the input is the whole batch). Masks are drawn for the whole global
  /// batch and this part's rows used, so every process draws what one process would and the
  /// generators stay equal.
  std::int64_t global_offset = 0, global_rows = 0;
};

/// Outputs of a forward pass; undefined tensors for heads the model lacks.
struct ModelOutput {
  torch::Tensor logit;    ///< [n]
  torch::Tensor mean;     ///< [n, T] standardised targets
  torch::Tensor log_var;  ///< [n, T] log variance of the standardised targets (not clamped here)
};

/// CNN feature extractor: [n, C, H, W] -> [n, widths.back() * (H >> S) * (W >> S)], S = stages.
class CnnFeaturesImpl : public torch::nn::Module {
 public:
  CnnFeaturesImpl(const ModelSpec& spec, std::shared_ptr<DropoutControl> dropout);
  torch::Tensor forward(torch::Tensor x);
  std::int64_t output_features() const { return output_features_; }

 private:
  torch::nn::ModuleList convs_, norms_;
  double spatial_dropout_;
  std::shared_ptr<DropoutControl> dropout_;
  std::int64_t output_features_ = 0;
};
TORCH_MODULE(CnnFeatures);

/// One pre-activation residual block.
class PreActBlockImpl : public torch::nn::Module {
 public:
  PreActBlockImpl(int in_channels, int out_channels, int stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, projection_{nullptr};
};
TORCH_MODULE(PreActBlock);

/// ResNet feature extractor: [n, C, H, W] -> [n, widths.back()].
class ResNetFeaturesImpl : public torch::nn::Module {
 public:
  ResNetFeaturesImpl(const ModelSpec& spec, std::shared_ptr<DropoutControl> dropout);
  torch::Tensor forward(torch::Tensor x);
  std::int64_t output_features() const { return output_features_; }

 private:
  torch::nn::Conv2d stem_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::BatchNorm2d final_bn_{nullptr};
  double spatial_dropout_;
  std::shared_ptr<DropoutControl> dropout_;
  std::int64_t output_features_ = 0;
};
TORCH_MODULE(ResNetFeatures);

/// The whole network. Throws ConfigError if spec.validate() fails or the input shape is unset.
class LensNetImpl : public torch::nn::Module {
 public:
  /// Weights are initialised from LibTorch's default generator (seed it with torch::manual_seed);
  /// dropout masks come from DropoutControl(dropout_seed).
  LensNetImpl(const ModelSpec& spec, std::uint64_t dropout_seed);
  ModelOutput forward(torch::Tensor x);

  const ModelSpec& spec() const { return spec_; }
  DropoutControl& dropout_control() { return *dropout_; }
  /// Monte Carlo dropout: dropout stays on in eval mode.
  void set_monte_carlo(bool on) { dropout_->monte_carlo = on; }

 private:
  ModelSpec spec_;
  std::shared_ptr<DropoutControl> dropout_;
  CnnFeatures cnn_{nullptr};
  ResNetFeatures resnet_{nullptr};
  torch::nn::Linear dense_{nullptr}, logit_head_{nullptr}, regression_head_{nullptr};
};
TORCH_MODULE(LensNet);

/// Inverted dropout of whole channels ([n, C, H, W], channelwise) or single features ([n, F]),
/// active when `training` or control.monte_carlo; probability p in [0, 1).
torch::Tensor apply_dropout(const torch::Tensor& x, double p, bool channelwise, bool training, DropoutControl& control);

/// Number of trainable parameter values.
std::int64_t parameter_count(torch::nn::Module& module);

}  // namespace lensforge::train::torch_impl
