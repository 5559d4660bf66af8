#include "export_command.hpp"

#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "lensforge/train/model_card.hpp"
#include "lensforge/train/pytorch_export.hpp"
#include "train_command_support.hpp"

namespace lensforge::train::app {

namespace fs = std::filesystem;

CLI::App* add_export_command(CLI::App& app, ExportCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "export", "Export a checkpoint for plain PyTorch: state dict, model card JSON and a Python model definition.");
  cmd->add_option("CHECKPOINT", a.checkpoint, "Checkpoint written by fit or evaluate (best.pt, last.pt, calibrated.pt)")
      ->required();
  cmd->add_option("-o,--output", a.output_dir, "Output folder (created if missing)")->required();
  cmd->add_flag("--overwrite", a.overwrite, "Replace an earlier export's files in the output folder");
  cmd->footer(
      "Writes to the output folder: state_dict.pt (torch.load gives a dict of tensors: the weights and batch-norm\n"
      "statistics under the names of LensNet.state_dict()), model_card.json (architecture, input shape, bands,\n"
      "pixel scales, preprocessing, target names and scalings, temperature) and lensforge_model.py (the network\n"
      "in PyTorch, with load(), preprocess() and predict(): lensforge-infer predict's numbers for images already\n"
      "stacked on the model's grid).\n"
      "Needs PyTorch 1.13 or later on the Python side; LibTorch C++ modules cannot be saved as TorchScript.\n"
      "Example:\n"
      "  lensforge-train export out/runs/cnn/best.pt -o out/export/cnn\n"
      "  cd out/export/cnn && python3 -c 'import lensforge_model as lm; model, card = lm.load(\".\"); print(model)'\n"
      "Exit status: 0 done; 2 bad arguments, a missing or unreadable checkpoint or an earlier export without\n"
      "--overwrite (one error line, nothing written); 1 a file cannot be written.");
  return cmd;
}

int run_export_command(const ExportCommandArgs& a, std::ostream& out, std::ostream& err) {
  try {
    read_model_card(a.checkpoint);  // IoError naming a missing or bad checkpoint
    std::error_code ec;
    const fs::path dir(a.output_dir);
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
      throw ConfigError(fmt::format("output folder '{}' is a file", a.output_dir));
    if (!a.overwrite)
      for (const char* name : kPytorchExportFiles)
        if (fs::exists(dir / name, ec))
          throw ConfigError(fmt::format("output folder '{}' already holds an export ({}); use --overwrite or "
                                        "another --output",
                                        a.output_dir, name));
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitBadInput);
  }
  std::vector<std::string> files;
  try {
    files = export_pytorch(a.checkpoint, a.output_dir);
  } catch (const std::exception& e) {
    return report_error(err, e.what(), kExitFailure);
  }
  for (const std::string& f : files) out << f << "\n";
  return kExitOk;
}

}  // namespace lensforge::train::app
