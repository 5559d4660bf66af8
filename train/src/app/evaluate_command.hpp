#pragma once
// `lensforge-train evaluate CHECKPOINT DATA.h5...`: metrics and an HTML report of a trained model on
// test sets (lensforge/train/eval/evaluate.hpp).
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lensforge/train/eval/evaluate.hpp"

namespace lensforge::train::app {

struct EvaluateCommandArgs {
  eval::EvaluateOptions options;
  bool overwrite = false;  ///< --overwrite: replace the files of an earlier evaluation in the output folder
};

/// Registers the subcommand and its options on `app`, filling `args` when parsed.
CLI::App* add_evaluate_command(CLI::App& app, EvaluateCommandArgs& args);

/// Evaluates; one progress line per set on `err`, the headline figures and the output files on
/// `out`. Returns 0 when done, 2 for bad input found before the model runs (missing or unreadable
/// files, a set without a needed band or column, an output folder holding an evaluation without
/// --overwrite: one error line, nothing written), 1 for a failure later.
int run_evaluate_command(const EvaluateCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge::train::app
