#pragma once
// Data-parallel training: which process of how many this is and how the processes meet
// (torch-free; the process group itself lives in train/src/torch/distributed.cpp).
//
// Launch either under a launcher (mpirun, srun: rank and size from its environment) or with
// explicit --rank/--world-size on every process. The processes meet at a rendezvous:
//   file:///abs/path   a file on a file system every process sees; it must not exist before the
//                      run (the last process removes it)
//   tcp://host:port    process 0 listens on host:port, the others connect to it
#include <functional>
#include <string>

namespace lensforge::train {

struct DistributedOptions {
  int rank = 0;             ///< [0, world_size)
  int world_size = 1;       ///< processes training together, [1, 65536]; 1: no process group
  std::string init;         ///< rendezvous, file:// or tcp:// (above); empty only for world_size 1
  int timeout_seconds = 1800;  ///< a collective waiting longer than this fails, s
  /// "" or what is wrong (naming the option and the allowed values).
  std::string validate() const;
};

/// Looks up an environment variable (nullptr when unset); std::getenv by default.
using EnvLookup = std::function<const char*(const char*)>;

/// Rank and size from a launcher's environment: OpenMPI (OMPI_COMM_WORLD_RANK/SIZE), Slurm
/// (SLURM_PROCID/SLURM_NTASKS), PMI (PMI_RANK/PMI_SIZE), in that order; world_size 1 when none is
/// set. The rendezvous: tcp://MASTER_ADDR:MASTER_PORT when MASTER_ADDR is set (port 29500 if
/// MASTER_PORT is not), else tcp://127.0.0.1:29500 when the launcher says every process runs on
/// this machine (OMPI_COMM_WORLD_LOCAL_SIZE = size, or SLURM_NNODES = 1), else empty (give one).
DistributedOptions distributed_from_environment(const EnvLookup& env = nullptr);

}  // namespace lensforge::train
