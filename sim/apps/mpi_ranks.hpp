#pragma once
// `mpirun -n K lensforge-sim generate ...`: which rank this process is, and the one collective the
// generator needs (did every rank succeed?). MPI is initialised only when a launcher started the
// process (so a plain `lensforge-sim generate` never touches MPI), and only in builds with OpenMPI
// (LENSFORGE_WITH_MPI); a build without it refuses to run under a launcher with K > 1 rather than
// have K processes write the same file.
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

#ifdef LENSFORGE_WITH_MPI
#include <mpi.h>
#endif

namespace lensforge {

/// Ranks in the job as the launcher says (OpenMPI's mpirun, or a PMI launcher such as srun); 1
/// when not launched by one.
inline int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && *v) return std::max(1, std::atoi(v));
  return 1;
}

/// Processes of this job on this machine (to share its cores), 1 when unknown.
inline int launcher_local_size() {
  if (const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE"); v && *v) return std::max(1, std::atoi(v));
  return 1;
}

class MpiRanks {
 public:
  /// Initialises MPI when launched with more than one rank; throws std::runtime_error when that
  /// is impossible (a build without MPI).
  MpiRanks(int& argc, char**& argv) {
    if (launcher_world_size() <= 1) return;
#ifdef LENSFORGE_WITH_MPI
    MPI_Init(&argc, &argv);
    initialised_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
    throw std::runtime_error(
        "started by an MPI launcher with " + std::to_string(launcher_world_size()) +
        " ranks, but this lensforge-sim was built without MPI (install libopenmpi-dev and rebuild); without MPI "
        "run one process per shard with --shard k/K and join them with 'lensforge-sim merge'");
#endif
  }
  ~MpiRanks() {
#ifdef LENSFORGE_WITH_MPI
    if (initialised_) MPI_Finalize();
#endif
  }
  MpiRanks(const MpiRanks&) = delete;
  MpiRanks& operator=(const MpiRanks&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Collective: true when every rank passes true (also a barrier).
  std::function<bool(bool)> all_succeeded() const {
    return [](bool mine) {
#ifdef LENSFORGE_WITH_MPI
      int in = mine ? 1 : 0, all = 0;
      MPI_Allreduce(&in, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
      return all != 0;
#else
      return mine;
#endif
    };
  }

 private:
  bool initialised_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace lensforge
