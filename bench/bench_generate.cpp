// Dataset generation benchmark: images/s on one thread and on all cores for the Euclid and LSST
// example populations, the share of time in HDF5 writing, peak memory, and the cost of each
// compression option.
//   bench_generate [--quick] [--configs DIR] [--out DIR] [--only NAME] [--repeat R] [--no-gzip]
// --repeat R: the 1-thread and all-threads rates are medians of R runs (default 1), alternating
// the two so that load changes on a shared machine hit both alike.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "lensforge/sim/generate/dataset_generator.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

struct Run {
  double images_per_s, write_share, mib;
};

Run run(const GeneratorConfig& config, const std::string& out, std::uint64_t n, int threads, int gzip, bool shuffle) {
  GenerateOptions o;
  o.output = out;
  o.num_images = n;
  o.seed = 7;
  o.threads = threads;
  o.writer.gzip_level = gzip;
  o.writer.shuffle = shuffle;
  o.writer.overwrite = true;
  const GenerateStats s = generate_dataset(config, o);
  const double mib = double(fs::file_size(out)) / (1 << 20);
  fs::remove(out);
  return {double(n) / s.seconds, s.write_seconds / s.seconds, mib};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool gzip_rows = true;
  int repeat = 1;
  std::string only;
  std::string configs = LENSFORGE_SOURCE_DIR "/configs", out_dir = fs::temp_directory_path().string();
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[a], "--no-gzip") == 0) {
      gzip_rows = false;
    } else if (std::strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
      only = argv[++a];
    } else if (std::strcmp(argv[a], "--repeat") == 0 && a + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++a]));
    } else if (std::strcmp(argv[a], "--configs") == 0 && a + 1 < argc) {
      configs = argv[++a];
    } else if (std::strcmp(argv[a], "--out") == 0 && a + 1 < argc) {
      out_dir = argv[++a];
    } else {
      std::fprintf(stderr,
                   "usage: bench_generate [--quick] [--configs DIR] [--out DIR] [--only euclid|lsst] [--repeat R] "
                   "[--no-gzip]\n");
      return 2;
    }
  }
  const int cores = std::max(1, int(std::thread::hardware_concurrency()));
  std::printf("lensforge bench_generate (version %s, %d hardware threads)\n", LENSFORGE_VERSION, cores);
  std::printf("Full pipeline per image: sample, render every band, PSF, noise, lens criterion (with redraws), labels,\n"
              "all planes stored (image, noiseless, source, sigma, mask), uncompressed HDF5 unless said.\n\n");
  struct Case {
    const char* name;
    std::uint64_t n;
    const char* reference;
  } cases[] = {{"euclid", quick ? 48u : 240u, "deeplenstronomy: 29 images/s per core, one 200x200 band, s = 3"},
               {"lsst", quick ? 120u : 600u, "deeplenstronomy: 231 images/s per core, one 64x64 band, s = 1"}};
  for (const Case& c : cases) {
    if (!only.empty() && only != c.name) continue;
    const GeneratorConfig config =
        load_generator_config(configs + "/populations/" + c.name + ".yaml", configs);
    // A per-process name: concurrent runs must not open (and truncate) each other's file.
    const std::string out = out_dir + "/bench_generate_" + c.name + "_" + std::to_string(::getpid()) + ".h5";
    const std::size_t bands = config.bands.size();
    std::printf("%s (%zu bands, first %dx%d at %g\"/px, supersampling %d)   [%s]\n", c.name, bands,
                config.bands.front().nx, config.bands.front().ny, config.bands.front().pixel_scale,
                config.observation.supersampling, c.reference);
    std::vector<double> rate1, rate_all;
    Run one{}, all{};
    for (int r = 0; r < repeat; ++r) {
      one = run(config, out, c.n, 1, 0, false);
      all = run(config, out, c.n, cores, 0, false);
      rate1.push_back(one.images_per_s);
      rate_all.push_back(all.images_per_s);
    }
    one.images_per_s = median(rate1);
    all.images_per_s = median(rate_all);
    const char* what = repeat > 1 ? " (median)" : "";
    std::printf("  1 thread     %7.1f images/s  (%7.1f band-images/s)  HDF5 writing %4.1f%% of the time  %.1f MiB%s\n",
                one.images_per_s, one.images_per_s * bands, 100 * one.write_share, one.mib, what);
    std::printf("  %d threads    %7.1f images/s  (%7.1f band-images/s)  speed-up %.2fx%s\n", cores, all.images_per_s,
                all.images_per_s * bands, all.images_per_s / one.images_per_s, what);
    if (repeat > 1) {
      std::printf("  runs (1 thread):");
      for (double v : rate1) std::printf(" %.1f", v);
      std::printf("\n  runs (%d threads):", cores);
      for (double v : rate_all) std::printf(" %.1f", v);
      std::printf("\n");
    }
    for (const auto& [gzip, shuffle] : {std::pair{1, true}, std::pair{4, true}}) {
      if (!gzip_rows) break;
      const Run z = run(config, out, c.n, cores, gzip, shuffle);
      std::printf("  gzip %d%s    %7.1f images/s  (%.0f%% of uncompressed)  file %.0f%% of uncompressed\n", gzip,
                  shuffle ? "+shuffle" : "", z.images_per_s, 100 * z.images_per_s / all.images_per_s,
                  100 * z.mib / all.mib);
    }
    std::printf("\n");
  }
  std::printf("peak resident memory %.0f MiB (independent of the number of images: at most 4 samples per thread "
              "are in flight)\n",
              peak_rss_mib());
  return 0;
}
