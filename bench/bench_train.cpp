// Training throughput: images/s of Adam steps (forward, backward, update; float32, batch 64) on a
// fixed number of torch threads, for
//   (a) the compact CNN on 4x64x64 tensors already in memory (the model's own cost),
//   (b) the same CNN fed by BatchLoader from a Euclid HDF5 file (VIS, Y, J, H stacked onto 64x64
//       at 0.3125"/px; the file is generated with the simulator if missing),
//   (c) the same CNN fed by BatchLoader from the simulator online (configs/populations/euclid.yaml),
//   (d) the pre-activation ResNet (4 stages of 2 blocks, widths 16-32-64-128) on in-memory tensors.
// For (b) and (c): the loader alone (time per batch with the model idle), then training from it:
// the median step, the median wait for a batch, and the data path's share of a step,
// (loader step - in-memory step) / loader step, i.e. what preparing the data costs the model on
// this machine's cores (the loader's workers and torch's threads share them). Medians over the
// measured steps, after warm-up steps (for loaders: after draining the batches prefetched).
//   bench_train [--quick] [--threads N] [--workers W] [--only-online] [--data FILE] [--configs DIR]
// --workers W: loader workers (default: N, as torch threads), to compare splits of the cores;
// --only-online: (a) and (c) only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
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

/// The next batch, going on to the next epoch after the last.
Batch next_batch(BatchLoader& loader, int& epoch) {
  std::optional<Batch> b = loader.next();
  if (!b) {
    loader.start_epoch(++epoch);
    b = loader.next();
  }
  return std::move(*b);
}

/// The data path alone: median time per batch with no model running.
double loader_alone(BatchLoader& loader, int& epoch, int warmup, int batches) {
  std::vector<double> t;
  for (int i = 0; i < warmup + batches; ++i) {
    const auto t0 = Clock::now();
    next_batch(loader, epoch);
    if (i >= warmup) t.push_back(seconds_since(t0));
  }
  return median(t);
}

/// Steps fed by the loader: wait for a batch, wrap it (no copy), step. The warm-up drains the
/// batches prefetched before the first step.
Timing from_loader(BatchLoader& loader, int& epoch, int warmup, int steps) {
  torch::manual_seed(1);
  Stepper s(cnn_spec());
  std::vector<double> waits, totals;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto t0 = Clock::now();
    Batch b = next_batch(loader, epoch);
    const double wait = seconds_since(t0);
    const std::int64_t n = b.size();
    const torch::Tensor x =
        torch::from_blob(b.images.data(), {n, b.shape.channels, b.shape.height, b.shape.width}, torch::kFloat32);
    const torch::Tensor y = torch::from_blob(b.labels.data(), {n}, torch::kFloat32);
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
  std::printf("%-50s step %7.1f ms  %7.1f images/s", name, 1e3 * t.step, kBatch / t.step);
  if (t.step != in_memory_step) {
    const double share = std::max(0.0, (t.step - in_memory_step) / t.step);
    std::printf("  batch wait %6.1f ms  data-path share %5.1f%%", 1e3 * t.wait, 100 * share);
  }
  std::printf("\n");
}

void report_loader(const char* name, double per_batch) {
  std::printf("%-50s batch %6.1f ms  %7.1f images/s (loader alone, model idle)\n", name, 1e3 * per_batch,
              kBatch / per_batch);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int threads = 2, workers = 0;
  bool only_online = false;
  std::string configs = LENSFORGE_SOURCE_DIR "/configs";
  std::string data = (fs::temp_directory_path() / "lensforge_bench_train_euclid.h5").string();
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++a]));
    } else if (std::strcmp(argv[a], "--workers") == 0 && a + 1 < argc) {
      workers = std::max(1, std::atoi(argv[++a]));
    } else if (std::strcmp(argv[a], "--only-online") == 0) {
      only_online = true;
    } else if (std::strcmp(argv[a], "--data") == 0 && a + 1 < argc) {
      data = argv[++a];
    } else if (std::strcmp(argv[a], "--configs") == 0 && a + 1 < argc) {
      configs = argv[++a];
    } else {
      std::fprintf(stderr,
                   "usage: bench_train [--quick] [--threads N] [--workers W] [--only-online] [--data FILE] "
                   "[--configs DIR]\n");
      return 2;
    }
  }
  at::set_num_threads(threads);
  if (workers == 0) workers = threads;
  const int warmup = quick ? 2 : 5, steps = quick ? 5 : 20;
  std::printf("lensforge bench_train (version %s): batch %d, Adam, float32, %d torch threads, %d loader workers, "
              "median of %d steps after %d warm-up\n\n",
              LENSFORGE_VERSION, kBatch, threads, workers, steps, warmup);

  const Timing cnn = in_memory(cnn_spec(), warmup, steps);
  report("(a) CNN 16-32-64-128, 4x64x64, tensors in memory", cnn, cnn.step);

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
  lo.workers = workers;
  lo.prefetch = 2;
  lo.drop_last = true;
  lo.seed = 1;
  TaskSpec task;
  AugmentSpec augment;  // dihedral flips, as in training
  LoaderOptions train_lo = lo;
  train_lo.augment = true;
  const int drain = lo.prefetch + 1;
  if (!only_online) {
    std::shared_ptr<const ExampleSource> file = open_dataset_source(data, so);
    BatchLoader loader(file, euclid_stack(), PreprocessSpec{}, task, TargetScaling{}, augment, train_lo);
    int epoch = 0;
    loader.start_epoch(epoch);
    report_loader("(b) Euclid HDF5 file, BatchLoader", loader_alone(loader, epoch, drain, steps));
    report("(b) CNN fed from the Euclid HDF5 file", from_loader(loader, epoch, drain, steps), cnn.step);
  }
  {
    const int online_batches = quick ? 2 : 6;
    std::shared_ptr<const ExampleSource> online = make_online_source(generator, 5, kBatch * 64, so);
    BatchLoader loader(online, euclid_stack(), PreprocessSpec{}, task, TargetScaling{}, augment, train_lo);
    int epoch = 0;
    loader.start_epoch(epoch);
    report_loader("(c) online euclid.yaml, BatchLoader", loader_alone(loader, epoch, drain, online_batches));
    report("(c) CNN fed online from euclid.yaml", from_loader(loader, epoch, drain, online_batches), cnn.step);
  }
  if (!only_online) {
    const Timing resnet = in_memory(resnet_spec(), quick ? 1 : 2, quick ? 3 : 8);
    report("(d) ResNet 4x2 blocks 16-32-64-128, in memory", resnet, resnet.step);
  }
  return 0;
}
