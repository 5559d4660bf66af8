#include "models.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train::torch_impl {
namespace nn = torch::nn;

DropoutControl::DropoutControl(std::uint64_t seed) : generator(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

torch::Tensor apply_dropout(const torch::Tensor& x, double p, bool channelwise, bool training, DropoutControl& control) {
  if (p <= 0.0 || !(training || control.monte_carlo)) return x;
  const double keep = 1.0 - p;
  std::vector<std::int64_t> shape = channelwise ? std::vector<std::int64_t>{x.size(0), x.size(1)} : x.sizes().vec();
  if (control.global_rows > 0) shape[0] = control.global_rows;
  torch::Tensor mask = torch::empty(shape, torch::TensorOptions().dtype(x.scalar_type()));
  mask.bernoulli_(keep, control.generator).div_(keep);
  if (control.global_rows > 0) mask = mask.narrow(0, control.global_offset, x.size(0));
  if (x.device() != mask.device()) mask = mask.to(x.device());
  if (channelwise) mask = mask.view({x.size(0), x.size(1), 1, 1});
  return x * mask;
}

std::int64_t parameter_count(nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

namespace {

void init_conv(nn::Conv2d& conv) {
  // He et al. 2015 initialisation for ReLU networks.
  nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  if (conv->bias.defined()) nn::init::zeros_(conv->bias);
}

nn::Conv2d conv(int in, int out, int kernel, int stride, bool bias) {
  nn::Conv2d c(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(bias));
  init_conv(c);
  return c;
}

}  // namespace

CnnFeaturesImpl::CnnFeaturesImpl(const ModelSpec& spec, std::shared_ptr<DropoutControl> dropout)
    : spatial_dropout_(spec.spatial_dropout), dropout_(std::move(dropout)) {
  int in = spec.input.channels, h = spec.input.height, w = spec.input.width;
  for (std::size_t i = 0; i < spec.widths.size(); ++i) {
    const int kernel = i == 0 ? 5 : 3;
    convs_->push_back(conv(in, spec.widths[i], kernel, 1, !spec.batch_norm));
    if (spec.batch_norm) norms_->push_back(nn::BatchNorm2d(spec.widths[i]));
    in = spec.widths[i];
    h /= 2;
    w /= 2;
  }
  register_module("convs", convs_);
  register_module("norms", norms_);
  output_features_ = std::int64_t(in) * h * w;
}

torch::Tensor CnnFeaturesImpl::forward(torch::Tensor x) {
  for (std::size_t i = 0; i < convs_->size(); ++i) {
    x = convs_[i]->as<nn::Conv2d>()->forward(x);
    if (!norms_->is_empty()) x = norms_[i]->as<nn::BatchNorm2d>()->forward(x);
    x = torch::max_pool2d(torch::relu(x), 2);
    x = apply_dropout(x, spatial_dropout_, true, is_training(), *dropout_);
  }
  return x.flatten(1);
}

PreActBlockImpl::PreActBlockImpl(int in_channels, int out_channels, int stride)
    : bn1_(register_module("bn1", nn::BatchNorm2d(in_channels))),
      bn2_(register_module("bn2", nn::BatchNorm2d(out_channels))),
      conv1_(register_module("conv1", conv(in_channels, out_channels, 3, stride, false))),
      conv2_(register_module("conv2", conv(out_channels, out_channels, 3, 1, false))) {
  if (stride != 1 || in_channels != out_channels) {
    projection_ = register_module("projection", conv(in_channels, out_channels, 1, stride, false));
  }
}

torch::Tensor PreActBlockImpl::forward(torch::Tensor x) {
  const torch::Tensor pre = torch::relu(bn1_->forward(x));
  // The projection shortcut sees the pre-activated input (He et al. 2016, fig. 1b of "Identity
  // mappings"), the identity shortcut the raw one.
  const torch::Tensor shortcut = projection_ ? projection_->forward(pre) : x;
  torch::Tensor y = conv1_->forward(pre);
  y = conv2_->forward(torch::relu(bn2_->forward(y)));
  return y + shortcut;
}

ResNetFeaturesImpl::ResNetFeaturesImpl(const ModelSpec& spec, std::shared_ptr<DropoutControl> dropout)
    : spatial_dropout_(spec.spatial_dropout), dropout_(std::move(dropout)) {
  stem_ = register_module("stem", conv(spec.input.channels, spec.widths[0], 3, 1, false));
  int in = spec.widths[0];
  for (std::size_t s = 0; s < spec.widths.size(); ++s) {
    nn::Sequential stage;
    for (int b = 0; b < spec.blocks_per_stage; ++b) {
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      stage->push_back(PreActBlock(in, spec.widths[s], stride));
      in = spec.widths[s];
    }
    stages_.push_back(register_module("stage" + std::to_string(s), stage));
  }
  final_bn_ = register_module("final_bn", nn::BatchNorm2d(in));
  output_features_ = in;
}

torch::Tensor ResNetFeaturesImpl::forward(torch::Tensor x) {
  x = stem_->forward(x);
  for (auto& stage : stages_) {
    x = stage->forward(x);
    x = apply_dropout(x, spatial_dropout_, true, is_training(), *dropout_);
  }
  x = torch::relu(final_bn_->forward(x));
  return x.mean({2, 3});
}

LensNetImpl::LensNetImpl(const ModelSpec& spec, std::uint64_t dropout_seed)
    : spec_(spec), dropout_(std::make_shared<DropoutControl>(dropout_seed)) {
  if (const std::string e = spec.validate(); !e.empty()) throw ConfigError(e);
  if (spec.input.numel() == 0) throw ConfigError("model.input is not set (channels x height x width from the data)");
  std::int64_t features = 0;
  if (spec.architecture == Architecture::CNN) {
    cnn_ = register_module("features", CnnFeatures(spec, dropout_));
    features = cnn_->output_features();
  } else {
    resnet_ = register_module("features", ResNetFeatures(spec, dropout_));
    features = resnet_->output_features();
  }
  dense_ = register_module("dense", nn::Linear(features, spec.dense_units));
  if (spec.classify) logit_head_ = register_module("logit", nn::Linear(spec.dense_units, 1));
  if (spec.num_targets > 0) {
    regression_head_ = register_module("regression", nn::Linear(spec.dense_units, 2 * spec.num_targets));
  }
}

ModelOutput LensNetImpl::forward(torch::Tensor x) {
  torch::Tensor f = cnn_ ? cnn_->forward(x) : resnet_->forward(x);
  f = torch::relu(dense_->forward(f));
  f = apply_dropout(f, spec_.dropout, false, is_training(), *dropout_);
  ModelOutput out;
  if (logit_head_) out.logit = logit_head_->forward(f).squeeze(1);
  if (regression_head_) {
    const torch::Tensor r = regression_head_->forward(f);
    out.mean = r.narrow(1, 0, spec_.num_targets);
    out.log_var = r.narrow(1, spec_.num_targets, spec_.num_targets);
  }
  return out;
}

}  // namespace lensforge::train::torch_impl
