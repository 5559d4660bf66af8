#include "distributed.hpp"

#include <chrono>
#include <string>

#include <fmt/format.h>

#ifdef LENSFORGE_HAVE_C10D_GLOO
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train::torch_impl {

bool distributed_available() {
#ifdef LENSFORGE_HAVE_C10D_GLOO
  return true;
#else
  return false;
#endif
}

struct ProcessGroup::Impl {
#ifdef LENSFORGE_HAVE_C10D_GLOO
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
#endif
};

ProcessGroup::ProcessGroup(const DistributedOptions& o, const torch::Device& device) : impl_(std::make_unique<Impl>()) {
  if (const std::string e = o.validate(); !e.empty()) throw ConfigError("distributed training: " + e);
  if (o.world_size == 1) return;
  if (!device.is_cpu())
    throw ConfigError(fmt::format("distributed training on {}: this LibTorch has no NCCL; train on several "
                                  "processes with --device cpu (gloo)",
                                  device.str()));
#ifdef LENSFORGE_HAVE_C10D_GLOO
  const auto timeout = std::chrono::milliseconds(std::int64_t(o.timeout_seconds) * 1000);
  std::string host;
  try {
    if (o.init.rfind("file://", 0) == 0) {
      impl_->store = c10::make_intrusive<c10d::FileStore>(o.init.substr(7), o.world_size);
    } else {
      const std::string rest = o.init.substr(6);
      const std::size_t colon = rest.rfind(':');
      host = rest.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      c10d::TCPStoreOptions so;
      so.port = std::uint16_t(std::stoi(rest.substr(colon + 1)));
      so.isServer = o.rank == 0;
      so.numWorkers = std::size_t(o.world_size);
      so.waitWorkers = true;
      so.timeout = timeout;
      impl_->store = c10::make_intrusive<c10d::TCPStore>(host, so);
    }
    impl_->store->setTimeout(timeout);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // Processes on one machine talk over the loopback interface; otherwise over the interface of
    // this machine's host name.
    const bool local = host == "127.0.0.1" || host == "localhost" || host == "::1";
    options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname(host)
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 1;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.world_size, options);
  } catch (const std::exception& e) {
    throw IoError(fmt::format("distributed training: rank {} of {} could not join at {}: {}", o.rank, o.world_size,
                              o.init, e.what()));
  }
  rank_ = o.rank;
  size_ = o.world_size;
#else
  throw ConfigError(fmt::format("distributed training: {} processes asked for, but this lensforge-train was built "
                                "without LibTorch's c10d/gloo (torch/csrc/distributed/c10d); run one process",
                                o.world_size));
#endif
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::all_reduce_sum(torch::Tensor& t) {
  if (size_ == 1) return;
#ifdef LENSFORGE_HAVE_C10D_GLOO
  std::vector<torch::Tensor> ts{t};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  impl_->group->allreduce(ts, opts)->wait();
#endif
}

void ProcessGroup::broadcast(torch::Tensor& t, int root) {
  if (size_ == 1) return;
#ifdef LENSFORGE_HAVE_C10D_GLOO
  std::vector<torch::Tensor> ts{t};
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  impl_->group->broadcast(ts, opts)->wait();
#endif
}

}  // namespace lensforge::train::torch_impl
