// Inference benchmark: images/s of `lensforge-infer predict` (read, prepare, score, write the table)
// for the compact CNN (widths 16-32-64-128, weights after one training batch: speed does not depend
// on them) on Euclid VIS + NISP Y, J, H stacked to 4x64x64 at 0.2"/px, from FITS files (one
// multi-extension file per object, as lensforge-sim export-fits writes them) and from the HDF5 data
// set, with 1 and 2 model threads; plus the model alone on prepared images.
//   bench_infer [--n IMAGES] [--out DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "lensforge/infer/inference.hpp"
#include "lensforge/infer/input_item.hpp"
#include "lensforge/infer/prediction_csv.hpp"
#include "lensforge/sim/app/export_fits_command.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/train/predictor.hpp"
#include "lensforge/train/trainer.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 512;
  std::string out_root = fs::temp_directory_path().string();
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--n") == 0 && a + 1 < argc) {
      n = std::stoull(argv[++a]);
    } else if (std::strcmp(argv[a], "--out") == 0 && a + 1 < argc) {
      out_root = argv[++a];
    } else {
      std::fprintf(stderr, "usage: bench_infer [--n IMAGES] [--out DIR]\n");
      return 2;
    }
  }
  const fs::path dir = fs::path(out_root) / ("bench_infer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string h5 = (dir / "euclid.h5").string();

  std::printf("lensforge bench_infer (version %s): %llu Euclid images\n", LENSFORGE_VERSION, (unsigned long long)n);
  const GeneratorConfig config = load_generator_config(LENSFORGE_SOURCE_DIR "/configs/populations/euclid.yaml",
                                                       LENSFORGE_SOURCE_DIR "/configs");
  GenerateOptions g;
  g.output = h5;
  g.num_images = n;
  g.seed = 1;
  generate_dataset(config, g);
  const std::string validation = (dir / "validation.h5").string();
  g.output = validation;
  g.num_images = 64;
  g.seed = 2;
  generate_dataset(config, g);
  ExportFitsCommandArgs e;
  e.path = h5;
  e.indices = "0-" + std::to_string(n - 1);
  e.output_dir = (dir / "fits").string();
  std::ostringstream sink;
  if (run_export_fits_command(e, sink, sink) != 0) {
    std::fprintf(stderr, "export-fits failed: %s\n", sink.str().c_str());
    return 1;
  }

  train::TrainConfig c;
  c.output_dir = (dir / "run").string();
  c.train.file = h5;
  c.validation.file = validation;
  c.stack.bands = {"VIS", "Y", "J", "H"};
  c.stack.pixel_scale = 0.2;
  c.stack.size = 64;
  c.loader.batch_size = 64;
  c.epochs = 1;
  c.threads = 2;
  train::FitOptions fo;
  fo.overwrite = true;
  fo.progress = false;
  fo.max_batches = 1;
  const train::FitResult fit = train::fit(c, fo);
  const std::string checkpoint = fit.best_checkpoint.empty() ? fit.last_checkpoint : fit.best_checkpoint;

  for (int threads : {1, 2}) {
    const train::Predictor predictor(checkpoint, "cpu", threads);
    const auto& card = predictor.card();
    std::printf("\n%d model thread%s, batch 64, input %dx%dx%d\n", threads, threads > 1 ? "s" : "",
                card.model.input.channels, card.model.input.height, card.model.input.width);
    for (const auto& [name, input] : {std::pair{"FITS files", (dir / "fits").string()}, std::pair{"HDF5", h5}}) {
      const std::vector<infer::InputItem> items = infer::list_inputs({input}, "", card.stack.bands);
      infer::PredictionCsv table((dir / "scores.csv").string(), card.model.classify, card.scaling.names, false);
      infer::PredictOptions o;
      o.progress = false;
      std::ostringstream err;
      const auto t0 = std::chrono::steady_clock::now();
      const infer::PredictSummary s = infer::predict_inputs(predictor, items, o, table, err, false);
      const double t = seconds_since(t0);
      std::printf("  predict from %-10s %8.1f images/s  (%lld scored, %lld errors)\n", name, double(items.size()) / t,
                  (long long)s.ok, (long long)s.failed);
    }
    // The model alone, on prepared images already in memory.
    const std::int64_t numel = card.model.input.numel();
    std::vector<float> images(std::size_t(64 * numel), 0.5f);
    predictor.predict(images, 64);  // warm-up
    const int reps = int(std::max<std::uint64_t>(1, n / 64));
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) predictor.predict(images, 64);
    std::printf("  model alone            %8.1f images/s\n", reps * 64.0 / seconds_since(t0));
  }
  fs::remove_all(dir);
  return 0;
}
