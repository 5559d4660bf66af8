// Data-loader benchmark: milliseconds per batch prepared from a lensforge HDF5 file (read, stack,
// preprocess, optionally augment), on a given number of worker threads, and the parts of one example.
//   bench_loader FILE.h5 [--batches N] [--workers W] [--augment] [--bands VIS,Y,J,H]
//                [--pixel-scale 0.3125] [--size 64] [--batch-size 64]
// Defaults: the Euclid bands onto 64x64 at 0.3125"/px (the 20" VIS field), batch 64, 1 worker.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/data/example_preparer.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the whole process (all threads), s: with one worker, the loader's own cost even
// when other processes share the cores.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: bench_loader FILE.h5 [--batches N] [--workers W] [--augment] [--bands VIS,Y,J,H] "
                 "[--pixel-scale S] [--size N] [--batch-size B]\n");
    return 2;
  }
  const std::string path = argv[1];
  int batches = 20, workers = 1, size = 64, batch_size = 64;
  double pixel_scale = 0.3125;
  bool augment = false;
  std::string bands = "VIS,Y,J,H";
  for (int a = 2; a < argc; ++a) {
    const bool more = a + 1 < argc;
    if (std::strcmp(argv[a], "--batches") == 0 && more)
      batches = std::atoi(argv[++a]);
    else if (std::strcmp(argv[a], "--workers") == 0 && more)
      workers = std::atoi(argv[++a]);
    else if (std::strcmp(argv[a], "--size") == 0 && more)
      size = std::atoi(argv[++a]);
    else if (std::strcmp(argv[a], "--batch-size") == 0 && more)
      batch_size = std::atoi(argv[++a]);
    else if (std::strcmp(argv[a], "--pixel-scale") == 0 && more)
      pixel_scale = std::atof(argv[++a]);
    else if (std::strcmp(argv[a], "--bands") == 0 && more)
      bands = argv[++a];
    else if (std::strcmp(argv[a], "--augment") == 0)
      augment = true;
    else {
      std::fprintf(stderr, "bench_loader: unknown argument %s\n", argv[a]);
      return 2;
    }
  }
  try {
    TaskSpec task;
    task.targets = {"lens_theta_E"};
    AugmentSpec aug;
    aug.max_shift = 0.5;
    aug.vector_pairs = default_vector_pairs();
    aug.spin2_pairs = default_spin2_pairs();
    SourceOptions so;
    so.bands = split(bands);
    so.columns = required_columns(task, &aug);
    const auto t_open = std::chrono::steady_clock::now();
    const std::shared_ptr<const ExampleSource> src = open_dataset_source(path, so);
    const double open_s = seconds_since(t_open);
    const StackSpec stack{so.bands, BandGrid::FINEST, pixel_scale, size};
    const TargetScaling scaling = fit_target_scaling(*src, task);

    // The parts of one example, averaged over 100 reads.
    const ExamplePreparer prep(src->bands(), src->columns(), stack, PreprocessSpec{}, task, aug);
    const int reps = int(std::min<std::int64_t>(100, src->size()));
    double read_s = 0, prep_s = 0;
    for (int i = 0; i < reps; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      const RawExample raw = src->get(i);
      read_s += seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      Rng rng(1, std::uint64_t(i));
      (void)prep.prepare(raw, augment ? &rng : nullptr);
      prep_s += seconds_since(t0);
    }

    LoaderOptions o;
    o.batch_size = batch_size;
    o.workers = workers;
    o.augment = augment;
    o.seed = 1;
    BatchLoader loader(src, stack, PreprocessSpec{}, task, scaling, aug, o);
    loader.start_epoch(0);
    (void)loader.next();  // warm-up: threads started, first chunks cached
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    int done = 0;
    for (; done < batches; ++done)
      if (!loader.next()) break;
    const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
    const InputShape shape = loader.shape();
    std::printf("%s: %lld images, open %.1f ms (labels read)\n", src->describe().c_str(), (long long)src->size(),
                1e3 * open_s);
    std::printf("one example: read %.3f ms, stack+%spreprocess %.3f ms\n", 1e3 * read_s / reps,
                augment ? "augment+" : "", 1e3 * prep_s / reps);
    std::printf("%d batches of %d x %dx%dx%d, %d worker(s)%s: %.2f ms per batch (%.2f ms CPU), %.0f images/s\n", done,
                batch_size, shape.channels, shape.height, shape.width, workers, augment ? ", augmented" : "",
                1e3 * s / done, 1e3 * cpu / done, done * batch_size / s);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
  return 0;
}
