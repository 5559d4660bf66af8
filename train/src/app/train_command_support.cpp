#include "train_command_support.hpp"

#include <algorithm>

namespace lensforge::train::app {

int report_error(std::ostream& err, std::string msg, int status) {
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  err << "lensforge-train: error: " << msg << std::endl;
  return status;
}

CLI::Option* add_set_option(CLI::App* cmd, std::vector<std::string>& overrides) {
  return cmd
      ->add_option("--set", overrides,
                   "Override a config key: KEY=VALUE with KEY a dotted path and VALUE read as YAML, e.g. "
                   "--set optim.learning_rate=3e-4 --set stack.bands=[VIS,Y] --set "
                   "data.train.size=1000; an empty VALUE removes the key (its default applies). Repeatable; "
                   "later ones win. Relative paths in VALUE are relative to the working directory")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

}  // namespace lensforge::train::app
