#pragma once
// The process group of data-parallel training (c10d with gloo on the CPU). Private to
// lensforge::train. A group of one process needs no rendezvous and all its collectives return
// their input; builds whose LibTorch lacks c10d/gloo (LENSFORGE_HAVE_C10D_GLOO unset) refuse more
// than one process.
#include <memory>

#include <torch/torch.h>

#include "lensforge/train/distributed.hpp"

namespace lensforge::train::torch_impl {

/// Whether this build can train on several processes.
bool distributed_available();

class ProcessGroup {
 public:
  /// Joins the group (blocks until all world_size processes have joined, up to the timeout).
  /// Throws ConfigError for bad options, a cuda device (no NCCL in this LibTorch) or a build
  /// without c10d; IoError when the rendezvous fails.
  ProcessGroup(const DistributedOptions& options, const torch::Device& device);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool lead() const { return rank_ == 0; }

  /// In place: every process's `t` becomes the element-wise sum over the processes (the same
  /// bits on all of them). `t` a contiguous CPU tensor.
  void all_reduce_sum(torch::Tensor& t);
  /// In place: every process's `t` becomes process `root`'s.
  void broadcast(torch::Tensor& t, int root = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1;
};

}  // namespace lensforge::train::torch_impl
