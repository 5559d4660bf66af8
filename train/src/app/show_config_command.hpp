#pragma once
// `lensforge-train show-config`: prints the effective training config (after --set overrides,
// defaults filled in, paths absolute) without LibTorch doing anything.
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lensforge::train::app {

struct ShowConfigCommandArgs {
  std::string config_path;             ///< training config (YAML)
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, in order
};

/// Registers the subcommand and its options on `app`, filling `args` when parsed.
CLI::App* add_show_config_command(CLI::App& app, ShowConfigCommandArgs& args);

/// Prints the config to `out` (and a note to `err` for each data input that does not exist yet).
/// Returns 0, or 2 for a config that does not read or validate (one error line on `err`).
int run_show_config_command(const ShowConfigCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge::train::app
