#include "lensforge/sim/render/renderer.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/psf.hpp"

namespace lensforge {

std::string RenderOptions::validate() const {
  if (auto e = grid.validate(); !e.empty()) return "grid: " + e;
  if (supersampling < 1 || supersampling > 32)
    return "supersampling = " + std::to_string(supersampling) + " must be in [1, 32]";
  if (psf) {
    if (!(psf->fwhm > 0.0) || !std::isfinite(psf->fwhm))
      return "psf.fwhm = " + std::to_string(psf->fwhm) + " must be > 0 arcsec";
    if (!(psf->truncate > 0.0) || !std::isfinite(psf->truncate))
      return "psf.truncation = " + std::to_string(psf->truncate) + " must be > 0 (units of sigma)";
  }
  return {};
}

namespace {

constexpr double kFwhmToSigma = 0.42466090014400953;  // 1 / (2 sqrt(2 ln 2))

// Where a light component is evaluated: on the image plane (unlensed) or on a traced target.
struct LightSlot {
  const LightProfile* profile;
  int target;  // -1: unlensed
};

struct RowWorkspace {
  std::vector<float> by_t;   // target positions, [num_targets][n]
  std::vector<float> bx_t;
  std::vector<float*> bx, by;
  TraceWorkspace<float> trace;
  std::vector<float> sb;     // surface brightness of the component being accumulated, [n]
  std::vector<float> y;      // sub-pixel y coordinates of the row block, [n]
};

// o[j] += (sb[j b] + sb[j b + 1] + ... + sb[j b + b - 1]) * weight for j < nx, summed left to
// right. A compile-time bin lets the compiler vectorise the strided sums (the scalar loop was ~13%
// of a Euclid sample); the order of the additions, and so every bit, is that of the plain loop
// (its leading 0.0f + sb[j b] is sb[j b] but for -0, and o[j] += -0 * weight equals += +0 * weight).
template <int B>
void bin_row_fixed(const float* sb, int nx, float weight, float* o) {
  for (int j = 0; j < nx; ++j) {
    const float* p = sb + j * B;
    float acc = p[0];
    for (int b = 1; b < B; ++b) acc += p[b];
    o[j] += acc * weight;
  }
}

void bin_row(const float* sb, int bin, int nx, float weight, float* o) {
  switch (bin) {
    case 1: return bin_row_fixed<1>(sb, nx, weight, o);
    case 2: return bin_row_fixed<2>(sb, nx, weight, o);
    case 3: return bin_row_fixed<3>(sb, nx, weight, o);
    case 4: return bin_row_fixed<4>(sb, nx, weight, o);
    case 5: return bin_row_fixed<5>(sb, nx, weight, o);
    default:
      for (int j = 0; j < nx; ++j) {
        float acc = 0.0f;
        for (int b = 0; b < bin; ++b) acc += sb[j * bin + b];
        o[j] += acc * weight;
      }
  }
}

}  // namespace

struct Renderer::Impl {
  Scene scene;
  RenderOptions options;
  std::optional<MultiPlaneTracer> tracer;
  std::vector<LightSlot> lens_slots, source_slots;
  std::vector<float> fine_x;  // x of each sub-pixel column
  mutable tbb::enumerable_thread_specific<RowWorkspace> workspaces;

  Impl(Scene s, RenderOptions o) : scene(std::move(s)), options(std::move(o)) {
    if (auto e = options.validate(); !e.empty()) throw ConfigError("render options: " + e);
    double z_first = 0.0;
    bool have_planes = !scene.lens_planes.empty();
    if (have_planes) {
      z_first = scene.lens_planes.front().z;
      for (const auto& p : scene.lens_planes) z_first = std::min(z_first, p.z);
    }
    // One tracer target per distinct redshift of light behind the first plane.
    std::vector<double> targets;
    auto slot_for = [&](const LightComponent& c) -> int {
      if (!have_planes || c.z <= z_first) return -1;
      auto it = std::find(targets.begin(), targets.end(), c.z);
      if (it != targets.end()) return static_cast<int>(it - targets.begin());
      targets.push_back(c.z);
      return static_cast<int>(targets.size() - 1);
    };
    auto check_light = [](const LightComponent& c, const std::string& where) {
      if (auto e = lensforge::validate(c.profile); !e.empty()) throw ConfigError(where + ": " + e);
      if (!(c.z >= 0.0) || !std::isfinite(c.z)) throw ConfigError(where + ": z = " + std::to_string(c.z) + " must be >= 0");
    };
    for (std::size_t k = 0; k < scene.lens_light.size(); ++k) {
      check_light(scene.lens_light[k], "lens_light[" + std::to_string(k) + "]");
      lens_slots.push_back({&scene.lens_light[k].profile, slot_for(scene.lens_light[k])});
    }
    for (std::size_t k = 0; k < scene.sources.size(); ++k) {
      check_light(scene.sources[k], "source_light[" + std::to_string(k) + "]");
      source_slots.push_back({&scene.sources[k].profile, slot_for(scene.sources[k])});
    }
    if (!targets.empty())  // nothing behind the lens: no rays to trace
      tracer.emplace(scene.cosmology, scene.lens_planes, targets, scene.z_source_convention);
    const PixelGrid fine = options.grid.supersampled(options.supersampling);
    fine_x.resize(static_cast<std::size_t>(fine.nx));
    for (int j = 0; j < fine.nx; ++j) fine_x[j] = static_cast<float>(fine.x(j));
  }

  // Surface brightness of slot `s` accumulated into `sb` for the n points of the block.
  static void eval(const LightSlot& s, const float* x, const float* y, const RowWorkspace& ws, float* sb,
                   std::size_t n) {
    const float* px = s.target < 0 ? x : ws.bx[s.target];
    const float* py = s.target < 0 ? y : ws.by[s.target];
    add_surface_brightness(*s.profile, px, py, sb, n);
  }

  RenderedImages render() const {
    const int s = options.supersampling;
    const PixelGrid& g = options.grid;
    const PixelGrid fine = g.supersampled(s);
    const bool fine_out = options.psf && options.supersampling_convolution;
    // Rows of the output the block loop writes: pixels, or sub-pixels when convolving there.
    const int out_ny = fine_out ? fine.ny : g.ny, out_nx = fine_out ? fine.nx : g.nx;
    const int rows_per_block = fine_out ? 1 : s;  // sub-pixel rows per output row
    const std::size_t W = fine_x.size(), n = W * static_cast<std::size_t>(rows_per_block);
    const std::size_t ntarget = tracer ? tracer->num_targets() : 0;
    // Pixel value = mean sub-pixel surface brightness * pixel area. On the sub-pixel grid each
    // sub-pixel holds SB * (output pixel area), so that the block average after the PSF gives it.
    const float weight = float(g.pixel_scale * g.pixel_scale / (fine_out ? 1 : s * s));
    const int bin = fine_out ? 1 : s;

    RenderedImages out;
    out.lens_light = ImageF::Zero(out_ny, out_nx);
    out.sources.assign(source_slots.size(), ImageF::Zero(out_ny, out_nx));

    tbb::parallel_for(tbb::blocked_range<int>(0, out_ny), [&](const tbb::blocked_range<int>& range) {
      RowWorkspace& ws = workspaces.local();
      ws.y.resize(n);
      ws.sb.resize(n);
      ws.bx_t.resize(ntarget * n);
      ws.by_t.resize(ntarget * n);
      ws.bx.resize(ntarget);
      ws.by.resize(ntarget);
      for (std::size_t t = 0; t < ntarget; ++t) {
        ws.bx[t] = ws.bx_t.data() + t * n;
        ws.by[t] = ws.by_t.data() + t * n;
      }
      std::vector<float> xs(n);
      for (int r = 0; r < rows_per_block; ++r) std::copy(fine_x.begin(), fine_x.end(), xs.begin() + r * W);
      for (int row = range.begin(); row != range.end(); ++row) {
        for (int r = 0; r < rows_per_block; ++r)
          std::fill_n(ws.y.begin() + r * W, W, float(fine.y(row * rows_per_block + r)));
        if (tracer) tracer->trace(xs.data(), ws.y.data(), n, ws.bx.data(), ws.by.data(), ws.trace);
        auto accumulate = [&](const std::vector<LightSlot>& slots, std::size_t k0, std::size_t k1, ImageF& img) {
          std::fill(ws.sb.begin(), ws.sb.end(), 0.0f);
          for (std::size_t k = k0; k < k1; ++k) eval(slots[k], xs.data(), ws.y.data(), ws, ws.sb.data(), n);
          float* o = img.row(row).data();
          for (int r = 0; r < rows_per_block; ++r) bin_row(ws.sb.data() + r * W, bin, out_nx, weight, o);
        };
        if (!lens_slots.empty()) accumulate(lens_slots, 0, lens_slots.size(), out.lens_light);
        for (std::size_t k = 0; k < source_slots.size(); ++k) accumulate(source_slots, k, k + 1, out.sources[k]);
      }
    });

    if (options.psf) {
      const double sigma_pix = options.psf->fwhm * kFwhmToSigma / (fine_out ? fine.pixel_scale : g.pixel_scale);
      auto blur = [&](ImageF& img) {
        gaussian_filter_nearest(img, sigma_pix, options.psf->truncate);
        if (fine_out) img = block_average(img, s);
      };
      blur(out.lens_light);
      for (auto& img : out.sources) blur(img);
    }
    out.source = ImageF::Zero(g.ny, g.nx);
    for (const auto& img : out.sources) out.source += img;
    out.total = out.lens_light + out.source;
    return out;
  }
};

Renderer::Renderer(Scene scene, RenderOptions options)
    : impl_(std::make_unique<Impl>(std::move(scene), std::move(options))) {}
Renderer::~Renderer() = default;
Renderer::Renderer(Renderer&&) noexcept = default;
Renderer& Renderer::operator=(Renderer&&) noexcept = default;
RenderedImages Renderer::render() const { return impl_->render(); }
const Scene& Renderer::scene() const { return impl_->scene; }
const RenderOptions& Renderer::options() const { return impl_->options; }

RenderedImages render(const Scene& scene, const RenderOptions& options) { return Renderer(scene, options).render(); }

}  // namespace lensforge
