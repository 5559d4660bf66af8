#include "lensforge/train/distributed.hpp"

#include <cstdlib>

#include <fmt/format.h>

namespace lensforge::train {

namespace {

/// A non-negative integer, or -1 when `text` is not one.
long parse_count(const char* text) {
  if (!text || !*text) return -1;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  return (*end == '\0' && v >= 0) ? v : -1;
}

}  // namespace

std::string DistributedOptions::validate() const {
  if (world_size < 1 || world_size > 65536)
    return fmt::format("world size {}: must be in [1, 65536]", world_size);
  if (rank < 0 || rank >= world_size) return fmt::format("rank {}: must be in [0, {}]", rank, world_size - 1);
  if (timeout_seconds < 1) return fmt::format("timeout {} s: must be at least 1 s", timeout_seconds);
  if (world_size == 1) return {};
  if (init.rfind("file://", 0) == 0) {
    if (init.size() <= 7 || init[7] != '/')
      return fmt::format("rendezvous '{}': a file:// rendezvous needs an absolute path (file:///dir/name)", init);
    return {};
  }
  if (init.rfind("tcp://", 0) == 0) {
    const std::string rest = init.substr(6);
    const std::size_t colon = rest.rfind(':');
    const long port = colon == std::string::npos ? -1 : parse_count(rest.c_str() + colon + 1);
    if (colon == 0 || colon == std::string::npos || port < 1 || port > 65535)
      return fmt::format("rendezvous '{}': write tcp://HOST:PORT with PORT in [1, 65535]", init);
    return {};
  }
  if (init.empty())
    return fmt::format("{} processes need a rendezvous: give --dist-init file:///shared/path or tcp://HOST:PORT "
                       "(or set MASTER_ADDR and MASTER_PORT)",
                       world_size);
  return fmt::format("rendezvous '{}': must start with file:// or tcp://", init);
}

DistributedOptions distributed_from_environment(const EnvLookup& lookup) {
  const EnvLookup env = lookup ? lookup : EnvLookup([](const char* name) -> const char* { return std::getenv(name); });
  DistributedOptions o;
  for (const auto& [rank, size] : {std::pair{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                   std::pair{"SLURM_PROCID", "SLURM_NTASKS"}, std::pair{"PMI_RANK", "PMI_SIZE"}}) {
    const long r = parse_count(env(rank)), n = parse_count(env(size));
    if (r >= 0 && n >= 1) {
      o.rank = int(r);
      o.world_size = int(n);
      break;
    }
  }
  if (o.world_size == 1) return o;
  if (const char* addr = env("MASTER_ADDR"); addr && *addr) {
    const char* port = env("MASTER_PORT");
    o.init = fmt::format("tcp://{}:{}", addr, port && *port ? port : "29500");
  } else if (parse_count(env("OMPI_COMM_WORLD_LOCAL_SIZE")) == o.world_size ||
             parse_count(env("SLURM_NNODES")) == 1) {
    o.init = "tcp://127.0.0.1:29500";
  }
  return o;
}

}  // namespace lensforge::train
