#include "evaluate_command.hpp"

#include <cmath>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/train/model_card.hpp"
#include "train_command_support.hpp"

namespace lensforge::train::app {

namespace fs = std::filesystem;

CLI::App* add_evaluate_command(CLI::App& app, EvaluateCommandArgs& a) {
  eval::EvaluateOptions& o = a.options;
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a trained model on test sets: metrics and an HTML report.");
  cmd->add_option("CHECKPOINT", o.checkpoint, "Checkpoint written by fit (best.pt, last.pt)")->required();
  cmd->add_option("DATA", o.data, "Test sets (lensforge HDF5 files with label columns)")->required();
  cmd->add_option("--validation", o.validation,
                  "Fit the calibration temperature on this set; the report then uses it and OUTPUT/calibrated.pt "
                  "is the checkpoint with that temperature");
  cmd->add_option("--mc-samples", o.mc_samples, "Monte Carlo dropout passes per image (epistemic uncertainty), 0: none")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--threshold", o.metrics.threshold, "An image is called a lens when its probability is at least this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("-o,--output", o.output_dir, "Output folder")->capture_default_str();
  cmd->add_option("--bootstrap", o.metrics.bootstrap, "Bootstrap resamples for confidence intervals, 0: none")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--level", o.metrics.level, "Confidence level of the intervals")
      ->check(CLI::Range(0.5, 0.9999))
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of MC dropout and the bootstrap")->capture_default_str();
  cmd->add_option("--max-examples", o.max_examples, "Use only the first N images of each set, 0: all")
      ->check(CLI::Range(std::int64_t(0), std::int64_t(1) << 40));
  cmd->add_option("--gallery", o.gallery, "Images in each gallery (confident false positives, missed lenses)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size, "Images per forward pass")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--device", o.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--threads", o.threads, "LibTorch threads, 0 for all cores")->check(CLI::Range(0, 4096));
  cmd->add_flag("--overwrite", a.overwrite, "Replace an earlier evaluation's files in the output folder");
  cmd->footer(
      "Writes to the output folder: metrics.json (everything, with intervals), metrics.csv (one row per number),\n"
      "report.html (one self-contained page: ROC curves of all sets, score histograms, completeness per subtype\n"
      "and against theta_E, arc S/N, magnification, source magnitude, reliability diagram, predicted-vs-true\n"
      "plots and uncertainty coverage, galleries of false positives and missed lenses) and, with --validation,\n"
      "calibrated.pt. TPR0 / TPR10 follow the Lens Finding Challenge (Metcalf et al. 2019).\n"
      "Example:\n"
      "  lensforge-train evaluate out/runs/cnn/best.pt test.h5 hard.h5 --validation val.h5 -o out/eval/cnn\n"
      "Exit status: 0 done; 2 bad arguments or input files (one error line, nothing written); 1 failure.");
  return cmd;
}

int run_evaluate_command(const EvaluateCommandArgs& a, std::ostream& out, std::ostream& err) {
  const eval::EvaluateOptions& o = a.options;
  try {
    if (const std::string e = o.validate(); !e.empty()) throw ConfigError(e);
    std::vector<std::string> inputs = o.data;
    if (!o.validation.empty()) inputs.push_back(o.validation);
    for (const std::string& p : inputs) DatasetReader check(p);  // IoError naming an unreadable set
    read_model_card(o.checkpoint);                                 // IoError naming a bad checkpoint
    std::error_code ec;
    const fs::path dir(o.output_dir);
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
      throw ConfigError(fmt::format("output folder '{}' is a file", o.output_dir));
    if (!a.overwrite)
      for (const char* name : {"metrics.json", "metrics.csv", "report.html", "calibrated.pt"})
        if (fs::exists(dir / name, ec))
          throw ConfigError(fmt::format("output folder '{}' already holds an evaluation ({}); use --overwrite or "
                                        "another --output",
                                        o.output_dir, name));
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitBadInput);
  }

  eval::Evaluation ev;
  try {
    ev = eval::evaluate(o, err);
  } catch (const ConfigError& e) {
    return report_error(err, e.what(), kExitBadInput);
  } catch (const std::exception& e) {
    return report_error(err, e.what(), kExitFailure);
  }
  for (const eval::SetMetrics& m : ev.metrics) {
    std::string line = fmt::format("{}: {} images", m.name, m.size);
    if (m.classification)
      for (const eval::ScalarMetric& s : m.classification->scalars)
        if (s.name == "auroc" || s.name == "tpr0" || s.name == "tpr10")
          line += fmt::format(", {} {:.4f}", s.name == "auroc" ? "AUROC" : s.name == "tpr0" ? "TPR0" : "TPR10", s.value.value);
    for (const eval::TargetMetrics& t : m.targets)
      line += fmt::format(", {} scatter {:.4g}", t.name, t.metrics.robust_scatter);
    out << line << "\n";
  }
  if (ev.temperature_fit) out << fmt::format("temperature {:.4f}: {}\n", ev.temperature_fit->temperature,
                                             (fs::path(o.output_dir) / "calibrated.pt").string());
  out << fmt::format("report: {}\n", (fs::path(o.output_dir) / "report.html").string());
  return kExitOk;
}

}  // namespace lensforge::train::app
