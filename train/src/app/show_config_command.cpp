#include "show_config_command.hpp"

#include <ostream>

#include <fmt/format.h>

#include "lensforge/train/train_config.hpp"
#include "train_command_support.hpp"

namespace lensforge::train::app {

CLI::App* add_show_config_command(CLI::App& app, ShowConfigCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "show-config", "Print the effective training config: overrides applied, defaults filled in, paths absolute.");
  cmd->add_option("CONFIG", a.config_path,
                  "Training config (YAML). Commented examples: configs/training/*.yaml; every key: "
                  "train/include/lensforge/train/train_config.hpp")
      ->required();
  add_set_option(cmd, a.overrides);
  cmd->footer(
      "The output is itself a valid config (fit reads it back to the same run); it is what checkpoints store.\n"
      "Data files that do not exist yet are noted on stderr. Loads no data and no LibTorch model.\n"
      "Example:\n  lensforge-train show-config configs/training/finder_cnn.yaml --set optim.learning_rate=3e-4\n"
      "Exit status: 0 done; 2 the config does not read or validate (one error line naming the file, line or\n"
      "override, key, value and what is allowed).");
  return cmd;
}

int run_show_config_command(const ShowConfigCommandArgs& a, std::ostream& out, std::ostream& err) {
  TrainConfig config;
  try {
    config = load_train_config(a.config_path, a.overrides);
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitBadInput);
  }
  out << fmt::format("# effective training config from {}{}\n", config.path,
                     a.overrides.empty() ? "" : fmt::format(" with --set {}", fmt::join(a.overrides, " --set ")));
  out << config.yaml_text;
  if (const std::string missing = config.check_files(); !missing.empty())
    err << "lensforge-train: note: " << missing << std::endl;
  return kExitOk;
}

}  // namespace lensforge::train::app
