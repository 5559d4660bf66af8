#pragma once
// Device and thread selection shared by the trainer and the predictor. Private to lensforge::train.
#include <string>

#include <torch/torch.h>

namespace lensforge::train::torch_impl {

/// "cpu" or "cuda" (also "cuda:N"). Throws ConfigError for another name, and for CUDA when this
/// LibTorch build has no CUDA support or no device is visible (saying which).
torch::Device parse_device(const std::string& name);

/// Sets LibTorch's intra-op threads: `threads` > 0 as given, 0: std::thread::hardware_concurrency.
/// Returns the number set.
int set_torch_threads(int threads);

}  // namespace lensforge::train::torch_impl
