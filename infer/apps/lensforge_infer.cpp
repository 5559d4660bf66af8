// lensforge-infer: applies a trained lens finder to FITS cutouts or lensforge data sets (predict),
// and explains its answers (occlusion maps, deep dream).
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lensforge/infer/deep_dream.hpp"
#include "lensforge/infer/explanation_files.hpp"
#include "lensforge/infer/inference.hpp"
#include "lensforge/infer/input_item.hpp"
#include "lensforge/infer/occlusion.hpp"
#include "lensforge/infer/prediction_csv.hpp"
#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/app/progress.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/predictor.hpp"

namespace {

using namespace lensforge;
using namespace lensforge::infer;
namespace fs = std::filesystem;

constexpr std::uint64_t kMaxSeed = std::uint64_t(std::numeric_limits<std::int64_t>::max());

struct Common {
  std::string checkpoint;
  std::string output;
  std::string pattern;
  int threads = 0;
  int batch = 64;
};

void add_common(CLI::App* cmd, Common& c, const std::string& output_help) {
  cmd->add_option("CHECKPOINT", c.checkpoint, "Checkpoint written by lensforge-train (best.pt, last.pt)")->required();
  cmd->add_option("-o,--output", c.output, output_help)->required();
  cmd->add_option("--pattern", c.pattern,
                  "One FITS file per band: file name pattern with {object} and {band}, e.g. '{object}_{band}.fits' "
                  "(band = the model's band names); inputs are then folders or band files [default: one "
                  "multi-extension file per object, bands matched by EXTNAME, FILTER or BAND]");
  cmd->add_option("--threads", c.threads, "Model threads, 0: all cores [default: 0]")->check(CLI::Range(0, 4096));
  cmd->add_option("--batch", c.batch, "Images per model call [default: 64]")->check(CLI::Range(1, 65536));
}

/// The single object an explanation runs on.
InputItem single_input(const std::string& input, const std::string& pattern, std::int64_t index,
                       const train::Predictor& predictor) {
  const std::vector<InputItem> items = list_inputs({input}, pattern, predictor.card().stack.bands);
  if (items.empty()) throw ConfigError(fmt::format("input '{}' holds no image", input));
  if (is_dataset_path(input)) {
    if (index < 0 || index >= std::int64_t(items.size()))
      throw ConfigError(fmt::format("--index {}: {} has images [0, {})", index, input, items.size()));
    return items[index];
  }
  if (items.size() != 1)
    throw ConfigError(fmt::format("input '{}' holds {} objects: give one file (or one object's band file)", input,
                                  items.size()));
  return items[0];
}

std::vector<float> prepared_input(const InputItem& item, const train::Predictor& predictor) {
  std::vector<std::string> warnings;
  train::Example e = InputLoader(predictor).load(item, warnings);
  for (const std::string& w : warnings) std::cerr << "warning: " << w << '\n';
  return std::move(e.pixels);
}

void make_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (!fs::is_directory(dir)) throw IoError(fmt::format("{}: cannot create the output folder", dir));
}

OcclusionOptions parse_fill(const std::string& fill, OcclusionOptions o) {
  if (fill == "mean") {
    o.fill = OcclusionFill::MEAN;
  } else if (fill == "zero") {
    o.fill = OcclusionFill::ZERO;
  } else {
    try {
      std::size_t used = 0;
      o.fill_value = std::stod(fill, &used);
      if (used != fill.size()) throw std::invalid_argument(fill);
    } catch (const std::exception&) {
      throw ConfigError(fmt::format("--fill '{}': must be mean, zero or a number", fill));
    }
    o.fill = OcclusionFill::VALUE;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lensforge-infer: apply a trained lens finder to FITS cutouts or lensforge data sets, and explain it"};
  app.require_subcommand(1);

  Common pc;
  std::vector<std::string> inputs;
  PredictOptions po;
  bool no_progress = false;
  CLI::App* predict = app.add_subcommand("predict", "Score objects: one CSV row each (id, index, status, logit, "
                                                    "probability, regression means and sigmas, message)");
  add_common(predict, pc, "Scores table to write (CSV)");
  predict->add_option("INPUTS", inputs, "FITS files, folders of FITS files, or lensforge data sets (.h5)")->required();
  predict->add_option("--mc-samples", po.mc_samples, "Monte Carlo dropout passes, adds spread columns [default: 0]")
      ->check(CLI::Range(0, 10000));
  predict->add_option("--seed", po.seed, "Monte Carlo dropout seed [default: 0]")->check(CLI::Range(std::uint64_t(0), kMaxSeed));
  predict->add_flag("--no-progress", no_progress, "No progress bar or progress lines");

  Common oc;
  std::string occ_input, fill = "mean";
  std::int64_t occ_index = 0;
  OcclusionOptions oo;
  CLI::App* occlusion = app.add_subcommand("occlusion", "Occlusion sensitivity map of one object: OUTPUT/occlusion.fits "
                                                        "(logit drop per pixel, per patch, the prepared input) and "
                                                        "OUTPUT/occlusion.png (drop in red over the image)");
  add_common(occlusion, oc, "Output folder (created if missing)");
  occlusion->add_option("INPUT", occ_input, "A FITS file (or one object's band file with --pattern) or a data set")->required();
  occlusion->add_option("--index", occ_index, "Image of a data set [default: 0]")->check(CLI::Range(std::int64_t(0), std::int64_t(kMaxSeed)));
  occlusion->add_option("--patch", oo.patch, "Patch side, model pixels [default: 4]")->check(CLI::Range(1, 4096));
  occlusion->add_option("--stride", oo.stride, "Step between patches, px, 0: the patch side [default: 0]")->check(CLI::Range(0, 4096));
  occlusion->add_option("--fill", fill, "Value of hidden pixels: mean (of each channel), zero, or a number in "
                                        "prepared-image units [default: mean]");

  Common dc;
  std::string dream_input, target = "lens";
  std::int64_t dream_index = 0;
  DreamOptions dopt;
  CLI::App* dream = app.add_subcommand("dream", "Deep dream: gradient ascent of the input towards lens or not-lens; "
                                                "OUTPUT/dream.fits (a cube per band), dream.csv (logit per step), "
                                                "dream_NNNN.png");
  add_common(dream, dc, "Output folder (created if missing)");
  dream->add_option("INPUT", dream_input, "Start image: a FITS file, one object's band file, or a data set "
                                          "[default: uniform noise in [0, 1)]");
  dream->add_option("--index", dream_index, "Image of a data set [default: 0]")->check(CLI::Range(std::int64_t(0), std::int64_t(kMaxSeed)));
  dream->add_option("--target", target, "lens (raise the logit) or not-lens (lower it) [default: lens]")
      ->check(CLI::IsMember({"lens", "not-lens"}));
  dream->add_option("--steps", dopt.steps, "Gradient steps [default: 50]")->check(CLI::Range(1, 100000));
  dream->add_option("--step-size", dopt.step_size, "Step in units of the mean |gradient| [default: 0.01]");
  dream->add_option("--jitter", dopt.jitter, "Largest random roll per step, px [default: 2]")->check(CLI::Range(0, 4096));
  dream->add_option("--blur", dopt.blur_sigma, "Gaussian smoothing sigma between steps, px [default: 0.5]");
  dream->add_option("--seed", dopt.seed, "Jitter and noise seed [default: 0]")->check(CLI::Range(std::uint64_t(0), kMaxSeed));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (predict->parsed()) {
      const train::Predictor predictor(pc.checkpoint, "cpu", pc.threads);
      po.batch_size = pc.batch;
      po.progress = !no_progress;
      const std::vector<InputItem> items = list_inputs_keeping_errors(inputs, pc.pattern, predictor.card().stack.bands);
      const train::ModelCard& card = predictor.card();
      PredictionCsv table(pc.output, card.model.classify, card.scaling.names, po.mc_samples > 0);
      const PredictSummary s = predict_inputs(predictor, items, po, table, std::cerr, is_terminal(2));
      std::cerr << fmt::format("{}: {} scored, {} with warnings, {} errors (skipped, status 'error')\n", pc.output,
                               s.ok, s.warned, s.failed);
      return kExitOk;
    }
    if (occlusion->parsed()) {
      oo = parse_fill(fill, oo);  // argument errors before the checkpoint is loaded
      const train::Predictor predictor(oc.checkpoint, "cpu", oc.threads);
      oo.batch_size = oc.batch;
      const InputItem item = single_input(occ_input, oc.pattern, occ_index, predictor);
      const std::vector<float> image = prepared_input(item, predictor);
      const train::InputShape shape = predictor.card().model.input;
      const OcclusionMap map = occlusion_map(
          image, shape, [&](const std::vector<float>& x, std::int64_t n) { return predictor_logits(predictor, x, n); }, oo);
      make_output_dir(oc.output);
      for (const std::string& f : write_occlusion_files(oc.output, item.id, map, image, shape, predictor.card().stack.bands, oo))
        std::cout << f << '\n';
      std::cerr << fmt::format("base logit {}, largest drop {} ({} patches)\n", map.base_score, map.drop.maxCoeff(),
                               map.patch_drop.size());
      return kExitOk;
    }
    if (dream->parsed()) {
      const train::Predictor predictor(dc.checkpoint, "cpu", dc.threads);
      const train::InputShape shape = predictor.card().model.input;
      dopt.target = target == "lens" ? DreamTarget::LENS : DreamTarget::NOT_LENS;
      dopt.batch_size = dc.batch;
      std::string id = "noise";
      std::vector<float> start;
      if (dream_input.empty()) {
        start = dream_noise(shape, dopt.seed);
      } else {
        const InputItem item = single_input(dream_input, dc.pattern, dream_index, predictor);
        id = item.id;
        start = prepared_input(item, predictor);
      }
      const DreamResult r = deep_dream(
          start, shape,
          [&](const std::vector<float>& x, std::int64_t n, std::vector<float>* l) { return predictor.logit_gradient(x, n, l); },
          [&](const std::vector<float>& x, std::int64_t n) { return predictor_logits(predictor, x, n); }, dopt);
      make_output_dir(dc.output);
      for (const std::string& f : write_dream_files(dc.output, id, r, predictor.card().stack.bands, dopt))
        if (f.ends_with(".fits") || f.ends_with(".csv")) std::cout << f << '\n';
      std::cerr << fmt::format("logit {} -> {} after {} steps\n", r.logits.front(), r.logits.back(), dopt.steps);
      return kExitOk;
    }
  } catch (const ConfigError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitBadInput;
  } catch (const IoError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}
