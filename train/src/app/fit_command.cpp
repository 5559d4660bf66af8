#include "fit_command.hpp"

#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "lensforge/train/train_config.hpp"
#include "lensforge/train/trainer.hpp"
#include "train_command_support.hpp"

namespace lensforge::train::app {

namespace fs = std::filesystem;

CLI::App* add_fit_command(CLI::App& app, FitCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("fit", "Train a lens finder / regressor as a training config says.");
  cmd->add_option("CONFIG", a.config_path,
                  "Training config (YAML): data, band stacking, preprocessing, augmentation, task, model, "
                  "optimiser, epochs. Commented examples: configs/training/*.yaml; check one with show-config")
      ->required();
  add_set_option(cmd, a.overrides);
  CLI::Option* resume = cmd->add_flag(
      "--resume", a.resume,
      "Continue the run in the output folder from its last.pt (same config; give a larger --epochs to train "
      "longer); reaches the weights an uninterrupted run would");
  cmd->add_flag("--overwrite", a.overwrite, "Start again in an output folder that already holds a run (refused otherwise)")
      ->excludes(resume);
  cmd->add_option("--epochs", a.epochs, "Epochs to train in all (overrides the config's epochs)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--device", a.device, "cpu or cuda (overrides the config's device; cuda needs a CUDA build of LibTorch)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", a.threads, "LibTorch threads, 0 for all cores (overrides the config's threads)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("-o,--output", a.output_dir,
                  "Output folder (overrides the config's output_dir; relative to the working directory)");
  cmd->add_option("--world-size", a.world_size,
                  "Processes training together (data parallel; default: from mpirun/srun, else 1). Give the same "
                  "value, a --rank and the same --dist-init to every process")
      ->check(CLI::Range(1, 65536))
      ->group("Several processes");
  cmd->add_option("--rank", a.rank, "This process's rank in [0, world size) (default: from mpirun/srun)")
      ->check(CLI::Range(0, 65535))
      ->group("Several processes");
  cmd->add_option("--dist-init", a.dist_init,
                  "Where the processes meet: file:///shared/path (a new file each run) or tcp://HOST:PORT (rank 0 "
                  "listens). Default: tcp://MASTER_ADDR:MASTER_PORT if set, tcp://127.0.0.1:29500 under mpirun/srun "
                  "on one machine")
      ->group("Several processes");
  cmd->add_option("--dist-timeout", a.dist_timeout, "Seconds a process waits for the others before failing")
      ->check(CLI::Range(1, 1 << 30))
      ->group("Several processes");
  cmd->add_option("--max-batches", a.max_batches, "Stop every epoch after this many batches (quick checks), 0: all")
      ->check(CLI::Range(0, 1 << 30))
      ->group("Testing");
  cmd->footer(
      "Writes to the output folder: last.pt (after every epoch), best.pt (lowest validation loss), metrics.csv and\n"
      "metrics.json (one row per epoch), train.log. A checkpoint holds the weights and everything needed to use\n"
      "them (bands, preparation, the effective config). Progress goes to stderr.\n"
      "Examples:\n"
      "  lensforge-train fit configs/training/finder_cnn.yaml\n"
      "  lensforge-train fit configs/training/finder_cnn.yaml --set optim.learning_rate=3e-4 -o out/runs/lr3e-4\n"
      "  lensforge-train fit configs/training/finder_cnn.yaml --resume --epochs 40\n"
      "  mpirun -n 4 lensforge-train fit configs/training/finder_cnn.yaml --threads 1   (data parallel, 4 processes;\n"
      "      loader.batch_size is the global batch, a multiple of 4; only rank 0 writes)\n"
      "Exit status: 0 done (all epochs, or stopped early); 2 bad config, arguments or data, or a refused output\n"
      "folder (one error line; nothing written); 1 failure while training, including a non-finite loss (the\n"
      "reason is printed; best.pt and last.pt keep the last good state).");
  return cmd;
}

std::vector<std::string> fit_overrides(const FitCommandArgs& a) {
  std::vector<std::string> o = a.overrides;
  if (a.epochs > 0) o.push_back(fmt::format("epochs={}", a.epochs));
  if (!a.device.empty()) o.push_back("device=" + a.device);
  if (a.threads >= 0) o.push_back(fmt::format("threads={}", a.threads));
  if (!a.output_dir.empty()) o.push_back("output_dir=" + a.output_dir);
  return o;
}

namespace {

/// Refuses (ConfigError) an output folder that is a file, one that holds a run (any of the files
/// fit() writes) unless resuming or overwriting, and --resume without a last.pt to continue from.
void check_output_dir(const std::string& dir, bool resume, bool overwrite) {
  std::error_code ec;
  const fs::path p(dir);
  if (fs::exists(p, ec) && !fs::is_directory(p, ec))
    throw ConfigError(fmt::format("output folder '{}' is a file", dir));
  if (resume) {
    if (!fs::is_regular_file(p / "last.pt", ec))
      throw ConfigError(fmt::format("--resume: there is no {} to continue from; drop --resume to start a run",
                                    (p / "last.pt").string()));
    return;
  }
  if (overwrite) return;
  for (const char* name : {"last.pt", "best.pt", "metrics.csv", "metrics.json", "train.log"})
    if (fs::exists(p / name, ec))
      throw ConfigError(fmt::format("output folder '{}' already holds a run ({}); use --resume to continue it, "
                                    "--overwrite to start again there, or --output for another folder",
                                    dir, name));
}

}  // namespace

int run_fit_command(const FitCommandArgs& a, std::ostream& out, std::ostream& err) {
  TrainConfig config;
  try {
    config = load_train_config(a.config_path, fit_overrides(a));
    if (const std::string e = config.check_files(); !e.empty()) throw ConfigError(config.path + ": " + e);
    if (config.device == "cuda" && !cuda_available())
      throw ConfigError("device cuda: this LibTorch has no CUDA support or sees no GPU; use --device cpu");
    check_output_dir(config.output_dir, a.resume, a.overwrite);
  } catch (const Error& e) {
    return report_error(err, e.what(), kExitBadInput);
  }

  FitOptions options;
  options.distributed = distributed_from_environment();
  if (a.world_size > 0) {
    options.distributed.world_size = a.world_size;
    options.distributed.rank = a.rank >= 0 ? a.rank : (a.world_size == 1 ? 0 : -1);
  } else if (a.rank >= 0) {
    options.distributed.rank = a.rank;
  }
  if (!a.dist_init.empty()) options.distributed.init = a.dist_init;
  options.distributed.timeout_seconds = a.dist_timeout;
  if (options.distributed.rank < 0)
    return report_error(err, fmt::format("--world-size {}: give this process's --rank too", a.world_size),
                        kExitBadInput);
  options.resume = a.resume;
  options.overwrite = a.overwrite;
  options.progress = true;
  options.max_batches = a.max_batches;
  // fit() may find bad input (a band or label column the data lacks) after creating the output
  // folder: a folder this command created is removed again, so bad input leaves nothing behind.
  std::error_code ec;
  const bool had_output_dir = fs::exists(config.output_dir, ec);
  FitResult r;
  try {
    r = fit(config, options);
  } catch (const ConfigError& e) {
    if (!had_output_dir && options.distributed.rank == 0) fs::remove_all(config.output_dir, ec);
    return report_error(err, e.what(), kExitBadInput);
  } catch (const std::exception& e) {
    return report_error(err, e.what(), kExitFailure);
  }
  if (!r.ok)
    return report_error(err,
                        fmt::format("training stopped: {} ({})", r.stop_reason,
                                    r.last_checkpoint.empty()
                                        ? std::string("no epoch completed, no checkpoint written")
                                        : fmt::format("{} holds epoch {}, {} the best epoch so far",
                                                      r.last_checkpoint, r.epochs_completed, r.best_checkpoint)),
                        kExitFailure);
  if (options.distributed.rank != 0) return kExitOk;  // rank 0 reports for all
  out << fmt::format("{}: {}\n", config.output_dir, r.stop_reason);
  if (r.best_epoch >= 0)
    out << fmt::format("best: epoch {}, validation loss {:.6g}: {}\n", r.best_epoch, r.best_val_loss, r.best_checkpoint);
  out << fmt::format("last: {}\n", r.last_checkpoint);
  return kExitOk;
}

}  // namespace lensforge::train::app
