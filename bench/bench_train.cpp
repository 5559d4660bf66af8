// Training throughput: images/s of Adam steps (forward, backward, update; float32, batch 64) on a
// fixed number of torch threads, for
//   (a) the compact CNN on 4x64x64 tensors already in memory (the model's own cost),
//   (b) the same CNN fed by BatchLoader from a Euclid HDF5 file (VIS, Y, J, H stacked onto 64x64
//       at 0.3125"/px; the file is generated with the simulator if missing),
//   (c) the same CNN fed by BatchLoader from the simulator online (configs/populations/euclid.yaml),
//   (d) the pre-activation ResNet (4 stages of 2 blocks, widths 16-32-64-128) on in-memory tensors.
// For (b) and (c): the median wait for a batch, the median step, and the data path's share of a
// step, (loader step - in-memory step) / loader step, i.e. what the loader's threads cost the model
// on this machine's cores. Medians over the measured steps, after warm-up steps.
//   bench_train [--quick] [--threads N] [--data FILE] [--configs DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "losses.hpp"
#include "models.hpp"

using namespace lensforge;
using namespace lensforge::train;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kBatch = 64;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

ModelSpec cnn_spec() {
  ModelSpec s;
  s.architecture = Architecture::CNN;
  s.input = {4, 64, 64};
  s.widths = {16, 32, 64, 128};
  s.dense_units = 128;
  s.dropout = 0.5;
  return s;
}

ModelSpec resnet_spec() {
  ModelSpec s = cnn_spec();
  s.architecture = Architecture::RESNET;
  s.blocks_per_stage = 2;
  return s;
}

/// One training step; returns its time in seconds.
struct Stepper {
  explicit Stepper(const ModelSpec& spec) : net(spec, 1), opt(net->parameters(), torch::optim::AdamOptions(1e-3)) {
    net->train();
  }
  double step(const torch::Tensor& x, const torch::Tensor& y) {
    const auto t0 = Clock::now();
    opt.zero_grad();
    torch_impl::ModelOutput out = net->forward(x);
    torch::Tensor loss = torch_impl::bce_loss(out.logit, y, 1.0);
    loss.backward();
    opt.step();
    return seconds_since(t0);
  }
  torch_impl::LensNet net;
  torch::optim::Adam opt;
};

struct Timing {
  double step = 0, wait = 0;  ///< medians, s
};

Timing in_memory(const ModelSpec& spec, int warmup, int steps) {
  torch::manual_seed(1);
  Stepper s(spec);
  const torch::Tensor x = torch::rand({kBatch, spec.input.channels, spec.input.height, spec.input.width});
  const torch::Tensor y = (torch::rand({kBatch}) > 0.5).to(torch::kFloat32);
  std::vector<double> t;
  for (int i = 0; i < warmup + steps; ++i) {
    const double dt = s.step(x, y);
    if (i >= warmup) t.push_back(dt);
  }
  return {median(t), 0.0};
}

/// Steps fed by the loader: wait for a batch, wrap it (no copy), step.
Timing from_loader(BatchLoader& loader, int warmup, int steps) {
  torch::manual_seed(1);
  Stepper s(cnn_spec());
  std::vector<double> waits, totals;
  int epoch = 0;
  loader.start_epoch(epoch);
  for (int i = 0; i < warmup + steps; ++i) {
    const auto t0 = Clock::now();
    std::optional<Batch> b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    const double wait = seconds_since(t0);
    const std::int64_t n = b->size();
    const torch::Tensor x =
        torch::from_blob(b->images.data(), {n, b->shape.channels, b->shape.height, b->shape.width}, torch::kFloat32);
    const torch::Tensor y = torch::from_blob(b->labels.data(), {n}, torch::kFloat32);
    s.step(x, y);
    if (i >= warmup) {
      waits.push_back(wait);
      totals.push_back(seconds_since(t0));
    }
  }
  return {median(totals), median(waits)};
}

StackSpec euclid_stack() {
  StackSpec s;
  s.bands = {"VIS", "Y", "J", "H"};
  s.grid = BandGrid::FINEST;
  s.pixel_scale = 0.3125;
  s.size = 64;
  return s;
}

void report(const char* name, const Timing& t, double in_memory_step) {
  const double share = std::max(0.0, (t.step - in_memory_step) / t.step);
  std::printf("%-44s step %7.1f ms  %7.1f images/s  batch wait %7.1f ms  data-path share %5.1f%%\n", name,
              1e3 * t.step, kBatch / t.step, 1e3 * t.wait, 100 * share);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int threads = 2;
  std::string configs = LENSFORGE_SOURCE_DIR "/configs";
  std::string data = (fs::temp_directory_path() / "lensforge_bench_train_euclid.h5").string();
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++a]));
    } else if (std::strcmp(argv[a], "--data") == 0 && a + 1 < argc) {
      data = argv[++a];
    } else if (std::strcmp(argv[a], "--configs") == 0 && a + 1 < argc) {
      configs = argv[++a];
    } else {
      std::fprintf(stderr, "usage: bench_train [--quick] [--threads N] [--data FILE] [--configs DIR]\n");
      return 2;
    }
  }
  at::set_num_threads(threads);
  const int warmup = quick ? 2 : 5, steps = quick ? 5 : 20;
  std::printf("lensforge bench_train (version %s): batch %d, Adam, float32, %d torch threads, %d loader workers, "
              "median of %d steps after %d warm-up\n\n",
              LENSFORGE_VERSION, kBatch, threads, threads, steps, warmup);

  const Timing cnn = in_memory(cnn_spec(), warmup, steps);
  report("(a) CNN 16-32-64-128, 4x64x64, in memory", cnn, cnn.step);

  const std::string euclid = configs + "/populations/euclid.yaml";
  auto generator = std::make_shared<const GeneratorConfig>(load_generator_config(euclid, configs));
  const std::uint64_t file_images = quick ? 192 : 640;
  if (!fs::exists(data)) {
    std::printf("    generating %s (%llu images, %d threads) ...\n", data.c_str(), (unsigned long long)file_images,
                threads);
    std::fflush(stdout);
    GenerateOptions g;
    g.output = data;
    g.num_images = file_images;
    g.seed = 3;
    g.threads = threads;
    generate_dataset(*generator, g);
  }
  SourceOptions so;
  so.bands = euclid_stack().bands;
  so.columns = {"class"};
  LoaderOptions lo;
  lo.batch_size = kBatch;
  lo.workers = threads;
  lo.prefetch = 4;
  lo.drop_last = true;
  lo.seed = 1;
  TaskSpec task;
  AugmentSpec augment;  // dihedral flips, as in training
  {
    std::shared_ptr<const ExampleSource> file = open_dataset_source(data, so);
    BatchLoader loader(file, euclid_stack(), PreprocessSpec{}, task, TargetScaling{}, augment, [&] {
      LoaderOptions o = lo;
      o.augment = true;
      return o;
    }());
    report("(b) CNN, Euclid HDF5 file via BatchLoader", from_loader(loader, warmup, steps), cnn.step);
  }
  {
    const int online_warmup = 1, online_steps = quick ? 2 : 6;
    std::shared_ptr<const ExampleSource> online =
        make_online_source(generator, 5, kBatch * (online_warmup + online_steps), so);
    BatchLoader loader(online, euclid_stack(), PreprocessSpec{}, task, TargetScaling{}, augment, lo);
    report("(c) CNN, online euclid.yaml via BatchLoader", from_loader(loader, online_warmup, online_steps), cnn.step);
  }
  const Timing resnet = in_memory(resnet_spec(), quick ? 1 : 2, quick ? 3 : 8);
  report("(d) ResNet 2x(16-32-64-128), 4x64x64, in memory", resnet, resnet.step);
  return 0;
}
