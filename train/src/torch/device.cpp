#include "device.hpp"

#include <thread>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/trainer.hpp"

namespace lensforge::train {

bool cuda_available() { return torch::cuda::is_available(); }

}  // namespace lensforge::train

namespace lensforge::train::torch_impl {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError("device = \"" + name + "\": CUDA is not available (this LibTorch build " +
                        "has no CUDA support, or no GPU is visible); use device = \"cpu\"");
    }
    try {
      const torch::Device d(name);
      if (d.has_index() && d.index() >= int(torch::cuda::device_count())) {
        throw ConfigError("device = \"" + name + "\": only " + std::to_string(torch::cuda::device_count()) +
                          " CUDA device(s) visible");
      }
      return d;
    } catch (const c10::Error&) {
      throw ConfigError("device = \"" + name + "\": not a device name (\"cpu\", \"cuda\" or \"cuda:N\")");
    }
  }
  throw ConfigError("device = \"" + name + "\": must be \"cpu\" or \"cuda\"");
}

int set_torch_threads(int threads) {
  const int n = threads > 0 ? threads : std::max(1, int(std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return n;
}

}  // namespace lensforge::train::torch_impl
