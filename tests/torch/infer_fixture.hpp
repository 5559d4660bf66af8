#pragma once
// Shared by the infer tests that need a checkpoint: a small Euclid data set (VIS 200x200 at 0.1"/px,
// NISP Y/J/H 66x66 at 0.3"/px) and a tiny CNN on VIS + Y stacked at 0.2"/px, 24x24 px (VIS binned
// 2x2, Y interpolated), trained for one batch. Built once per test process.
#include <filesystem>
#include <random>
#include <string>

#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/train/trainer.hpp"
#include "test_support.hpp"

namespace lensforge::test {

struct InferFixture {
  std::filesystem::path dir;   ///< temporary folder, removed at exit
  std::string dataset;         ///< 8 images, seed 5 (trained on; validation.h5: 4 images, seed 6)
  std::string checkpoint;      ///< best.pt of the tiny run
  ~InferFixture() { std::filesystem::remove_all(dir); }
};

inline const InferFixture& infer_fixture() {
  static const InferFixture f = [] {
    InferFixture x;
    std::random_device rd;
    x.dir = std::filesystem::temp_directory_path() / ("lensforge_test_infer_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(x.dir);
    x.dataset = (x.dir / "euclid.h5").string();
    const GeneratorConfig config =
        load_generator_config(source_path("configs/populations/euclid.yaml"), source_path("configs"));
    GenerateOptions g;
    g.output = x.dataset;
    g.num_images = 8;
    g.seed = 5;
    g.threads = 2;
    generate_dataset(config, g);
    g.output = (x.dir / "validation.h5").string();  // training validates on other images
    g.num_images = 4;
    g.seed = 6;
    generate_dataset(config, g);

    train::TrainConfig c;
    c.output_dir = (x.dir / "run").string();
    c.train.file = x.dataset;
    c.validation.file = g.output;
    c.stack.bands = {"VIS", "Y"};
    c.stack.pixel_scale = 0.2;
    c.stack.size = 24;
    c.augment.dihedral = false;
    c.task.targets = {"lens_theta_E"};
    c.model.num_targets = 1;
    c.model.widths = {4, 8};
    c.model.dense_units = 8;
    c.model.dropout = 0.3;
    c.loader.batch_size = 4;
    c.loader.workers = 1;
    c.epochs = 1;
    c.threads = 1;
    c.seed = 3;
    train::FitOptions o;
    o.overwrite = true;
    o.progress = false;
    o.max_batches = 1;
    const train::FitResult r = train::fit(c, o);
    x.checkpoint = r.best_checkpoint.empty() ? r.last_checkpoint : r.best_checkpoint;
    return x;
  }();
  return f;
}

}  // namespace lensforge::test
