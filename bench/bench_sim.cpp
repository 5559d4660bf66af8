// Simulator benchmark: SIE+shear ray shooting and full noiseless image rendering.
//   bench_sim [--quick] [--configs DIR]   (DIR: the configs/ folder with surveys/)
// Prints medians over repeated runs and ratios against reference runs in the same process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <thread>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "lensforge/sim/detector/observe.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/optics/psf_convolver.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"

using namespace lensforge;
using Clock = std::chrono::steady_clock;

namespace {

// Median wall time (s) of `reps` runs of f after one warm-up run.
double median_seconds(int reps, const std::function<void()>& f) {
  f();
  std::vector<double> t(reps);
  for (auto& v : t) {
    const auto t0 = Clock::now();
    f();
    v = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[reps / 2];
}

const Sie kSie{1.2, 0.1, -0.05, 0.05, -0.03};
const Shear kShear{0.03, -0.02};

// The image of issue 2's speed target: 200x200 at 0.1"/px, supersampling 3, SIE+shear, Sersic
// lens light and source, Gaussian PSF (Euclid VIS-like FWHM 0.17").
Scene bench_scene() {
  Scene s;
  s.lens_planes = {LensPlane{0.5, {kSie, kShear}}};
  s.z_source_convention = 2.0;
  s.lens_light = {{Sersic{20.0, 0.8, 4.0, 0.1, -0.05, 0.05, -0.03}, 0.5}};
  s.sources = {{Sersic{50.0, 0.15, 1.5, -0.2, 0.15, 0.08, 0.05}, 2.0}};
  return s;
}

RenderOptions bench_options() {
  RenderOptions o;
  o.grid = PixelGrid{200, 200, 0.1};
  o.supersampling = 3;
  o.psf = GaussianPsf{0.17, 5.0};
  return o;
}

template <class T>
double rays_per_second(int reps, std::size_t n) {
  // The sub-pixel grid of one 200x200, s = 3 image (n = 360,000 rays), in rows of 600.
  const std::size_t w = 600;
  std::vector<T> x(n), y(n), ax(n), ay(n);
  for (std::size_t k = 0; k < n; ++k) {
    x[k] = T(((k % w) - 299.5) / 30.0);
    y[k] = T(((k / w) - 299.5) / 30.0);
  }
  const double t = median_seconds(reps, [&] {
    for (std::size_t r = 0; r < n; r += w) {
      std::fill_n(ax.data() + r, w, T(0));
      std::fill_n(ay.data() + r, w, T(0));
      add_deflection(kSie, x.data() + r, y.data() + r, ax.data() + r, ay.data() + r, w);
      add_deflection(kShear, x.data() + r, y.data() + r, ax.data() + r, ay.data() + r, w);
    }
  });
  return double(n) / t;
}

}  // namespace

// Euclid VIS + NISP Y, J, H observation of the bench lens, split by stage (1 thread).
void bench_observation(const std::string& configs, int reps) {
  const SurveyPreset euclid = load_survey_preset(configs, "euclid");
  Scene scene = bench_scene();
  scene.lens_light[0].magnitudes = {{"VIS", 19.0}, {"Y", 18.3}, {"J", 18.0}, {"H", 17.8}};
  scene.sources[0].magnitudes = {{"VIS", 22.0}, {"Y", 22.2}, {"J", 22.3}, {"H", 22.4}};
  std::vector<Band> bands;
  for (const char* name : {"VIS", "Y", "J", "H"}) {
    Band b = euclid.band(name);
    b.artefacts.cosmic_rays.enabled = true;  // single-exposure-like worst case
    bands.push_back(b);
  }
  // The PSF convolution SceneObserver uses for these Gaussian PSFs.
  std::vector<PsfConvolver> conv;
  for (const Band& b : bands) {
    GaussianKernelParams k;
    k.fwhm = b.psf.fwhm;
    k.pixel_scale = b.pixel_scale;
    conv.emplace_back(SeparableConvolver(k));
  }
  std::vector<RenderedImages> rendered(bands.size());
  std::vector<ImageF> convolved(bands.size());
  const double t_render = median_seconds(reps, [&] {
    for (std::size_t k = 0; k < bands.size(); ++k) {
      RenderOptions o;
      o.grid = bands[k].grid();
      o.supersampling = 3;
      rendered[k] = Renderer(scene_in_band(scene, bands[k]), o).render();
    }
  });
  const double t_psf = median_seconds(reps, [&] {
    for (std::size_t k = 0; k < bands.size(); ++k) {
      convolved[k] = conv[k].convolve(rendered[k].lens_light) + conv[k].convolve(rendered[k].source);
    }
  });
  std::uint64_t i = 0;
  const double t_noise = median_seconds(reps, [&] {
    Rng rng(1, i++);
    for (std::size_t k = 0; k < bands.size(); ++k) {
      Rng band_rng = rng.split(k);
      (void)observe(convolved[k], bands[k], band_rng);
    }
  });
  ObservationOptions oo;
  const SceneObserver observer(bands, oo);
  const double t_all = median_seconds(reps, [&] {
    Rng rng(2, i++);
    (void)observer.observe(scene, rng);
  });
  std::printf("Euclid VIS 200x200 + NISP Y, J, H 66x66, supersampling 3, 1 thread, per image\n");
  std::printf("  noiseless rendering      %7.3f ms\n", 1e3 * t_render);
  std::printf("  PSF (lens + source)      %7.3f ms   (separable Gaussian)\n", 1e3 * t_psf);
  std::printf("  noise + cosmic rays      %7.3f ms\n", 1e3 * t_noise);
  std::printf("  observation / rendering  %7.1f %%   (target < 30%%)\n", 100.0 * (t_psf + t_noise) / t_render);
  std::printf("  SceneObserver, all bands %7.3f ms   (%.1f images/s)\n\n", 1e3 * t_all, 1.0 / t_all);
}

int main(int argc, char** argv) {
  bool quick = false;
  std::string configs = LENSFORGE_SOURCE_DIR "/configs";
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[a], "--configs") == 0 && a + 1 < argc) {
      configs = argv[++a];
    } else {
      std::fprintf(stderr, "usage: bench_sim [--quick] [--configs DIR]\n");
      return 2;
    }
  }
  const int reps = quick ? 5 : 21;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  std::printf("lensforge bench_sim  (version %s, %d hardware threads, medians of %d runs)\n\n", LENSFORGE_VERSION, cores,
              reps);

  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    const double f32 = rays_per_second<float>(reps, 360000);
    const double f64 = rays_per_second<double>(reps, 360000);
    std::printf("SIE+shear ray shooting, 1 thread\n");
    std::printf("  float32 SIMD path   %8.1f M rays/s   (target >= 300; lenstronomy 10-48)\n", f32 / 1e6);
    std::printf("  float64 path        %8.1f M rays/s   (float32 / float64 = %.2fx)\n\n", f64 / 1e6, f32 / f64);

    const Renderer renderer(bench_scene(), bench_options());
    const double t_full = median_seconds(reps, [&] { (void)renderer.render(); });
    RenderOptions no_psf = bench_options();
    no_psf.psf.reset();
    const Renderer renderer_np(bench_scene(), no_psf);
    const double t_nopsf = median_seconds(reps, [&] { (void)renderer_np.render(); });
    std::printf("Noiseless 200x200 image, 0.1\"/px, supersampling 3, SIE+shear, Sersic lens + source, 1 thread\n");
    std::printf("  with Gaussian PSF   %8.1f images/s  (%.2f ms; target >= 400; lenstronomy 9-38)\n", 1.0 / t_full,
                1e3 * t_full);
    std::printf("  without PSF         %8.1f images/s  (PSF share %.1f%%)\n\n", 1.0 / t_nopsf,
                100.0 * (t_full - t_nopsf) / t_full);
    bench_observation(configs, reps);
  }

  std::printf("Thread scaling, one image per task (as the dataset generator runs)\n");
  const Scene scene = bench_scene();
  const RenderOptions opt = bench_options();
  const int batch = quick ? 16 : 64;
  double base = 0.0;
  for (int threads = 1; threads <= cores; threads *= 2) {
    tbb::task_arena arena(threads);
    const double t = median_seconds(quick ? 3 : 7, [&] {
      arena.execute([&] {
        tbb::parallel_for(0, batch, [&](int) {
          tbb::this_task_arena::isolate([&] { (void)Renderer(scene, opt).render(); });
        });
      });
    });
    const double rate = batch / t;
    if (threads == 1) base = rate;
    std::printf("  %2d threads  %8.1f images/s   speed-up %.2fx (ideal %dx)\n", threads, rate, rate / base, threads);
    if (threads * 2 > cores && threads != cores) threads = cores / 2;  // also run the full core count
  }
  return 0;
}
