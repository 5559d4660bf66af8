#pragma once
// Pieces shared by the lensforge-train subcommands (internal to the lensforge-train program).
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge::train::app {

/// Writes "lensforge-train: error: <msg>" as one line (line breaks become spaces) to `err` and
/// returns `status` (kExitBadInput or kExitFailure).
int report_error(std::ostream& err, std::string msg, int status);

/// Adds the repeatable --set KEY=VALUE option that overrides config keys.
CLI::Option* add_set_option(CLI::App* cmd, std::vector<std::string>& overrides);

}  // namespace lensforge::train::app
