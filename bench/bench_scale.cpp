// Scale-out benchmark: generation throughput of `lensforge-sim generate` as 1 process and as
// 2 mpirun ranks (1 thread each, so the ratio is the scaling), the cost of joining the shards
// (virtual master vs copying merge) against the generation time, and reading through the virtual
// master against reading one file. Medians of `repeats` runs.
//   bench_scale [--quick] [--config FILE] [-n N] [--out DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void shell(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) {
    std::fprintf(stderr, "bench_scale: failed: %s\n", cmd.c_str());
    std::exit(1);
  }
}

/// Reads every image of every band once; returns the time.
double read_all(const std::string& path) {
  const DatasetReader r(path);
  return seconds_of([&] {
    for (const BandSchema& b : r.schema().bands)
      for (std::int64_t i = 0; i < r.num_images(); i += 64)
        (void)r.read_images(b.name, i, std::min<std::int64_t>(64, r.num_images() - i));
  });
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string config = LENSFORGE_SOURCE_DIR "/configs/populations/euclid.yaml";
  std::string out = (fs::temp_directory_path() / ("bench_scale_" + std::to_string(::getpid()))).string();
  long n = 0;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[a], "--config") == 0 && a + 1 < argc) config = argv[++a];
    else if (std::strcmp(argv[a], "-n") == 0 && a + 1 < argc) n = std::atol(argv[++a]);
    else if (std::strcmp(argv[a], "--out") == 0 && a + 1 < argc) out = argv[++a];
    else {
      std::fprintf(stderr, "usage: bench_scale [--quick] [--config FILE] [-n N] [--out DIR]\n");
      return 2;
    }
  }
  if (n <= 0) n = quick ? 200 : 1000;
  const int repeats = quick ? 1 : 3;
  fs::create_directories(out);
  const std::string exe = LENSFORGE_SIM_EXE;
  const std::string gen = "'" + exe + "' generate '" + config + "' -n " + std::to_string(n) + " --seed 7 --threads 1 ";
  const std::string mpi =
      std::string("mpirun --oversubscribe ") + (::geteuid() == 0 ? "--allow-run-as-root " : "") + "-n 2 ";
  const bool have_mpi = std::system("command -v mpirun >/dev/null 2>&1") == 0;

  std::vector<double> one, two, virt, copy, read_one, read_virt;
  for (int r = 0; r < repeats; ++r) {
    fs::remove_all(out);
    fs::create_directories(out);
    one.push_back(seconds_of([&] { shell(gen + "-o '" + out + "/one.h5'"); }));
    if (have_mpi) two.push_back(seconds_of([&] { shell(mpi + gen + "-o '" + out + "/two.h5'"); }));
    shell(gen + "--shard 0/2 -o '" + out + "/s0.h5'");
    shell(gen + "--shard 1/2 -o '" + out + "/s1.h5'");
    const std::string shards = "'" + out + "/s0.h5' '" + out + "/s1.h5'";
    virt.push_back(seconds_of([&] { shell("'" + exe + "' merge " + shards + " -o '" + out + "/virtual.h5'"); }));
    copy.push_back(seconds_of([&] { shell("'" + exe + "' merge --copy " + shards + " -o '" + out + "/copy.h5'"); }));
    read_all(out + "/one.h5");  // warm the page cache for both
    read_all(out + "/virtual.h5");
    read_one.push_back(read_all(out + "/one.h5"));
    read_virt.push_back(read_all(out + "/virtual.h5"));
  }
  fs::remove_all(out);

  const double t1 = median(one);
  std::printf("config: %s, %ld images, medians of %d runs, 1 thread per process, load %.1f\n", config.c_str(), n,
              repeats, [] {
                double l[1] = {0};
                return getloadavg(l, 1) == 1 ? l[0] : -1.0;
              }());
  std::printf("generate, 1 process:            %8.1f images/s (%.2f s, incl. process start)\n", n / t1, t1);
  if (have_mpi) {
    const double t2 = median(two);
    std::printf("generate, mpirun -n 2:          %8.1f images/s (%.2f s incl. mpirun start and the master): %.2fx\n",
                n / t2, t2, t1 / t2);
  } else {
    std::printf("generate, mpirun -n 2:          not run (mpirun missing)\n");
  }
  std::printf("merge, virtual master:          %8.3f s = %5.2f%% of the 1-process generation\n", median(virt),
              100 * median(virt) / t1);
  std::printf("merge --copy:                   %8.3f s = %5.2f%% of the 1-process generation\n", median(copy),
              100 * median(copy) / t1);
  std::printf("read all images, one file:      %8.1f images/s\n", n / median(read_one));
  std::printf("read all images, virtual master:%8.1f images/s: %.2fx the one-file rate\n", n / median(read_virt),
              median(read_one) / median(read_virt));
  return 0;
}
