#pragma once
// `lensforge-sim generate` and `lensforge-sim merge`: the logic behind the command lines parsed in
// sim/apps/lensforge_sim.cpp.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace lensforge {

struct GenerateCommandArgs {
  std::string config_path;       ///< population config (YAML), e.g. configs/populations/euclid.yaml
  std::uint64_t num_images = 0;  ///< -n: images of the whole run
  std::string output_path;       ///< -o: HDF5 file (.h5 / .hdf5)
  std::uint64_t seed = 0;        ///< --seed
  int threads = 0;               ///< --threads; 0: all cores
  std::string shard = "0/1";     ///< --shard k/K (0-based k)
  bool resume = false;           ///< --resume
  bool overwrite = false;        ///< --overwrite
  int gzip = 0;                  ///< --gzip level, 0-9
  bool shuffle = false;          ///< --shuffle
  /// --configs: folder with surveys/; default $LENSFORGE_CONFIGS, else the folder above the
  /// config's own (configs/populations/x.yaml -> configs/)
  std::string configs_dir;
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, applied to the config in order
  /// Launched as rank `rank` of `ranks` processes (mpirun): rank k writes shard k/ranks of the run
  /// to shard_file_path(output_path, k, ranks), and rank 0 then writes output_path as a virtual
  /// data set over all shards, once every rank reports success through all_succeeded.
  int rank = 0;
  int ranks = 1;
  /// Collective over all ranks (needed when ranks > 1): true when every rank passed true.
  std::function<bool(bool)> all_succeeded;
};

/// The shard file of rank k of K for a master `output`: "out/train.h5" -> "out/train-00001-of-00004.h5".
std::string shard_file_path(const std::string& output, int k, int num_ranks);

/// Runs the generator; progress to `err` (a bar on a terminal, log lines otherwise), the summary
/// to `out`. Returns 0, 2 (bad input: nothing written) or 1 (failure while writing: the .partial
/// is kept for --resume).
int run_generate_command(const GenerateCommandArgs& args, std::ostream& out, std::ostream& err);

struct MergeCommandArgs {
  std::vector<std::string> shards;  ///< shard files of one run
  std::string output_path;          ///< merged file
  bool overwrite = false;
  bool copy = false;                ///< copy the images into one file instead of a virtual data set
  int gzip = 0;                     ///< with copy
  bool shuffle = false;
};

int run_merge_command(const MergeCommandArgs& args, std::ostream& out, std::ostream& err);

/// Parses "k/K" (0 <= k < K); throws ConfigError naming the value otherwise.
std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text);

/// The configs folder: `given` if set, else $LENSFORGE_CONFIGS, else "" (the config's parent folder).
std::string resolve_configs_dir(const std::string& given);

}  // namespace lensforge
