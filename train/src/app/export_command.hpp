#pragma once
// `lensforge-train export CHECKPOINT -o DIR`: the model for plain PyTorch (Python): a state dict,
// the model card as JSON and the Python model definition (lensforge/train/pytorch_export.hpp).
#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

namespace lensforge::train::app {

struct ExportCommandArgs {
  std::string checkpoint;  ///< checkpoint written by fit or evaluate (.pt)
  std::string output_dir;  ///< -o: folder of the three files
  bool overwrite = false;  ///< --overwrite: replace an earlier export in the output folder
};

/// Registers the subcommand and its options on `app`, filling `args` when parsed.
CLI::App* add_export_command(CLI::App& app, ExportCommandArgs& args);

/// Exports; the files written on `out`. Returns 0 when done, 2 for bad input (a missing or
/// unreadable checkpoint, an output path that is a file, an earlier export there without
/// --overwrite: one error line, nothing written), 1 when a file cannot be written.
int run_export_command(const ExportCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge::train::app
