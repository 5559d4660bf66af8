// Real-galaxy and hybrid image rates against an analytic (Sersic) source, 1 thread, in one process.
// Usage: bench_real [--quick]. Prints medians of 21 runs (5 with --quick) of a batch of images each:
// rendering one lensed source on the first cutout of catalogs/hybrid_cutouts.csv, then whole
// population samples (make_sample: draw, criterion, observation) of one class at a time of
// configs/populations/euclid_vis_hybrid.yaml (Euclid VIS, 64x64).
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include <tbb/global_control.h>

#include "lensforge/sim/light/stamp_library.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/sim/population/sampler.hpp"
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

  // The cutout's grid (96x96 at 0.1"/px), supersampling 4, its Gaussian PSF, SIE.
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
  // The cutout's PSF as a pixel kernel (psf_file path: FFT convolution) vs its Gaussian (separable).
  HybridCutout kcut = cut;
  {
    const double sig = cut.psf_fwhm / (2.0 * std::sqrt(2.0 * std::log(2.0))) / cut.pixel_scale;
    const int r = int(5.0 * sig + 0.5);
    ImageD k(2 * r + 1, 2 * r + 1);
    for (int i = 0; i <= 2 * r; ++i)
      for (int j = 0; j <= 2 * r; ++j) k(i, j) = std::exp(-((i - r) * (i - r) + (j - r) * (j - r)) / (2.0 * sig * sig));
    kcut.psf_kernel = ImageD(k / k.sum());
    kcut.psf_convolver = std::make_shared<const FftConvolver>(PsfKernel(kcut.psf_kernel->cast<float>(), cut.pixel_scale));
  }
  const HybridSystem real_sys = system(real(0));
  const double r_arc_gauss = median_rate([&](int) { hybrid_arc(cut, real_sys.scene, 4); }, images, runs);
  const double r_arc_kernel = median_rate([&](int) { hybrid_arc(kcut, real_sys.scene, 4); }, images, runs);
  std::printf("noiseless %dx%d lensed source, supersampling 4, Gaussian PSF, 1 thread (median of %d x %d images)\n",
              int(cut.pixels.cols()), int(cut.pixels.rows()), runs, images);
  std::printf("  analytic Sersic source     %8.1f images/s\n", r_sersic);
  std::printf("  real-galaxy (INTERPOL)     %8.1f images/s  (%.2fx the Sersic rate)\n", r_real, r_real / r_sersic);
  std::printf("  hybrid (real source painted on the cutout, Poisson noise)  %8.1f images/s  (%.2fx)\n", r_hybrid,
              r_hybrid / r_sersic);
  std::printf("  hybrid_arc, Gaussian psf_fwhm %8.1f images/s; with the same PSF as a %dx%d FITS kernel (FFT, "
              "convolver made once) %8.1f images/s (%.2fx)\n",
              r_arc_gauss, int(kcut.psf_kernel->rows()), int(kcut.psf_kernel->rows()), r_arc_kernel,
              r_arc_kernel / r_arc_gauss);

  // Population samples, one class at a time (the others' fractions 0).
  const std::string pop = std::string(LENSFORGE_SOURCE_DIR) + "/configs/populations/euclid_vis_hybrid.yaml";
  const char* classes[] = {"lens", "nonlens_galaxy", "spiral", "ring_galaxy", "merger", "companion", "edge_on",
                           "hybrid_lens", "hybrid_nonlens", "real_contaminant"};
  auto only = [&](const std::string& cls, std::vector<std::string> extra) {
    for (const char* c : classes) extra.push_back(std::string("classes.") + c + ".fraction=" + (cls == c ? "1" : "0"));
    return load_generator_config(pop, "", extra);
  };
  const std::string real_source =
      "classes.lens.source.real_galaxy={catalog: ../../catalogs/real_galaxies.csv, clean_threshold: 1.0, "
      "pixel_scale: 0.01}";
  struct Case {
    const char* what;
    GeneratorConfig config;
  };
  const Case cases[] = {
      {"lens, analytic (clumpy Sersic) source", only("lens", {})},
      {"lens, real-galaxy source", only("lens", {real_source})},
      {"hybrid_lens (real source painted on a real cutout)", only("hybrid_lens", {})},
      {"nonlens_galaxy (analytic)", only("nonlens_galaxy", {})},
      {"hybrid_nonlens (the cutout as it is)", only("hybrid_nonlens", {})},
  };
  std::printf("population samples (make_sample), Euclid VIS 64x64, supersampling 3, 1 thread, median of %d x %d\n",
              runs, images);
  double first = 0.0;
  for (const Case& c : cases) {
    const SceneObserver obs = make_observer(c.config);
    std::uint64_t index = 0;
    const double r = median_rate([&](int) { make_sample(c.config, obs, 1, index++); }, images, runs);
    if (first == 0.0) first = r;
    std::printf("  %-52s %8.1f images/s  (%.2fx the analytic lens)\n", c.what, r, r / first);
  }
  return 0;
}
