// lensforge-train: trains LibTorch lens finders on lensforge data sets or online simulations. Each
// subcommand registers its options and runs its logic from train/src/app/<name>_command.cpp; a new
// subcommand adds its add_/run_ pair here.
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "evaluate_command.hpp"
#include "experiment_command.hpp"
#include "export_command.hpp"
#include "fit_command.hpp"
#include "lensforge/sim/app/exit_status.hpp"
#include "show_config_command.hpp"

namespace {

bool is_command(const CLI::App& app, const std::string& name) {
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    if (cmd->check_name(name)) return true;
  return false;
}

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + cmd->get_name();
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lensforge::train::app;
  CLI::App app{"lensforge-train: train lens finders and parameter regressors (LibTorch) on lensforge data sets or on "
               "images simulated online.",
               "lensforge-train"};
  app.set_version_flag("--version", "lensforge-train " LENSFORGE_VERSION);
  app.require_subcommand(1);
  app.footer("Start from a commented config in configs/training/, check it with show-config, then fit, then\n"
             "evaluate the checkpoint on test sets; export gives it to PyTorch (Python).\n"
             "Example:\n  lensforge-train fit configs/training/finder_cnn.yaml --epochs 5");
  FitCommandArgs fit_args;
  CLI::App* fit = add_fit_command(app, fit_args);
  ShowConfigCommandArgs show_args;
  CLI::App* show = add_show_config_command(app, show_args);
  EvaluateCommandArgs evaluate_args;
  CLI::App* evaluate = add_evaluate_command(app, evaluate_args);
  ExperimentCommandArgs experiment_args;
  CLI::App* experiment = add_experiment_command(app, experiment_args);
  ExportCommandArgs export_args;
  CLI::App* export_cmd = add_export_command(app, export_args);

  if (argc > 1 && argv[1][0] != '-' && !is_command(app, argv[1])) {
    std::cerr << "lensforge-train: error: unknown command '" << argv[1] << "'; available: " << command_names(app)
              << " (see lensforge-train --help)" << std::endl;
    return lensforge::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string help = "lensforge-train ";
    for (const CLI::App* cmd : {fit, show, evaluate, experiment, export_cmd})
      if (cmd->parsed()) help += cmd->get_name() + " ";
    std::cerr << "lensforge-train: error: " << e.what() << " (see " << help << "--help)" << std::endl;
    return lensforge::kExitBadInput;
  }

  try {
    if (fit->parsed()) return run_fit_command(fit_args, std::cout, std::cerr);
    if (show->parsed()) return run_show_config_command(show_args, std::cout, std::cerr);
    if (evaluate->parsed()) return run_evaluate_command(evaluate_args, std::cout, std::cerr);
    if (experiment->parsed()) return run_experiment_command(experiment_args, std::cout, std::cerr);
    if (export_cmd->parsed()) return run_export_command(export_args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "lensforge-train: error: " << e.what() << std::endl;
  }
  return lensforge::kExitFailure;
}
