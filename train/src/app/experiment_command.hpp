#pragma once
// `lensforge-train experiment FILE.yaml`: the whole job of an experiment file
// (lensforge/train/experiment_config.hpp): generate, train, evaluate, summarise.
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lensforge::train::app {

struct ExperimentCommandArgs {
  std::string config_path;
  std::vector<std::string> overrides;  ///< --set KEY=VALUE on the experiment file
  bool fresh = false;                  ///< --fresh: redo every step even when its output is up to date
};

CLI::App* add_experiment_command(CLI::App& app, ExperimentCommandArgs& args);

/// Runs the experiment; step lines and the headline figures on `out`, progress on `err`.
/// Returns 0 when done, 2 for a bad experiment file (nothing run), 1 for a failed step.
int run_experiment_command(const ExperimentCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge::train::app
