// Real-galaxy and hybrid image rates against an analytic (Sersic) source, 1 thread, in one process.
// Usage: bench_real [--quick]. Prints medians of 21 runs (5 with --quick) of a batch of images each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include <tbb/global_control.h>

#include "lensforge/sim/light/stamp_library.hpp"
#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/render/renderer.hpp"

using namespace lensforge;

namespace {

template <class F>
double median_rate(F&& f, int images, int runs) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < images; ++i) f(i);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(images / s);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int runs = quick ? 5 : 21, images = 20;
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  const std::string cat = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs";
  const StampLibrary lib = load_stamp_library(cat + "/real_galaxies.csv");
  const HybridCutout cut = load_hybrid_catalog(cat + "/hybrid_cutouts.csv").at(0);

  // 96x96 image of 0.1"/px (the first hybrid cutout's grid), supersampling 4, Gaussian PSF, SIE.
  auto system = [&](const LightProfile& src) {
    return hybrid_system(cut, FlatLambdaCDM(), LightComponent{src, 1.5, {}}, 0.1, -0.05, 4);
  };
  const double flux = 1000.0;
  Sersic ser{1.0, 0.2, 1.0, 0.1, 0.0, 0.1, 0.05};
  ser.amp = sersic_amp_from_total_flux(ser, flux);
  auto real = [&](int i) {
    return stamp_profile(lib.entries[0], flux, 0.1, 0.05, 0.3 * i, i % 2 == 1, 0.01);
  };
  const HybridSystem sersic_sys = system(ser);
  const double r_sersic = median_rate([&](int) { render(sersic_sys.scene, sersic_sys.options); }, images, runs);
  const double r_real = median_rate(
      [&](int i) {
        const HybridSystem s = system(real(i));
        render(s.scene, s.options);
      },
      images, runs);
  Rng rng(1, 2);
  const double r_hybrid = median_rate([&](int i) { render_hybrid(cut, FlatLambdaCDM(), {real(i), 1.5, {}}, rng); },
                                      images, runs);
  std::printf("noiseless 64x64 lensed source, supersampling 4, Gaussian PSF, 1 thread (median of %d x %d images)\n",
              runs, images);
  std::printf("  analytic Sersic source     %8.1f images/s\n", r_sersic);
  std::printf("  real-galaxy (INTERPOL)     %8.1f images/s  (%.2fx the Sersic rate)\n", r_real, r_real / r_sersic);
  std::printf("  hybrid (real source painted on the cutout, Poisson noise)  %8.1f images/s  (%.2fx)\n", r_hybrid,
              r_hybrid / r_sersic);
  return 0;
}
