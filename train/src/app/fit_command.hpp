#pragma once
// `lensforge-train fit`: trains a model as a training config says (trainer.hpp's fit()).
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lensforge::train::app {

struct FitCommandArgs {
  std::string config_path;             ///< training config (YAML)
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, in order
  bool resume = false;                 ///< --resume: continue OUTPUT/last.pt
  bool overwrite = false;              ///< --overwrite: start again in a non-empty output folder
  int epochs = 0;                      ///< --epochs, [1, 1e6]; 0: the config's
  std::string device;                  ///< --device cpu | cuda; empty: the config's
  int threads = -1;                    ///< --threads, [0, 4096] (0: all cores); -1: the config's
  std::string output_dir;              ///< --output; empty: the config's output_dir
  int max_batches = 0;                 ///< --max-batches per epoch (smoke tests), 0: all
  int rank = -1;                       ///< --rank, [0, world_size); -1: from the launcher (or 0)
  int world_size = 0;                  ///< --world-size, [1, 65536]; 0: from the launcher (or 1)
  std::string dist_init;               ///< --dist-init file:///path | tcp://host:port; empty: see distributed.hpp
  int dist_timeout = 1800;             ///< --dist-timeout, s
};

/// Registers the subcommand and its options on `app`, filling `args` when parsed.
CLI::App* add_fit_command(CLI::App& app, FitCommandArgs& args);

/// The config overrides the arguments stand for: --set ones first, then --epochs, --device,
/// --threads and --output (which therefore win).
std::vector<std::string> fit_overrides(const FitCommandArgs& args);

/// Trains. Progress on `err` (a bar on a terminal, log lines otherwise), the outcome on `out`.
/// Returns 0 when done (completed or stopped early), 2 for bad input found before training (bad
/// config, missing data, refused output folder: one error line, nothing written), 1 for a failure
/// while training, a non-finite loss included (best.pt and last.pt keep the last good state).
int run_fit_command(const FitCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge::train::app
