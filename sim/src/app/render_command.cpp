#include "lensforge/sim/app/render_command.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <ostream>
#include <system_error>

#include <fmt/format.h>
#include <tbb/global_control.h>

#include "command_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/png.hpp"
#include "lensforge/sim/render/hybrid.hpp"
#include "survey_render.hpp"

namespace lensforge {
namespace {

namespace fs = std::filesystem;
using app::BadInput;
using app::check_output;
using app::has_extension;
using app::hdu_list;
using app::one_line;

}  // namespace

std::string default_png_path(const std::string& fits_path) {
  return fs::path(fits_path).replace_extension(".png").string();
}

std::vector<FitsImageHdu> scene_fits_hdus(const SceneFile& f, const RenderedImages& images) {
  const RenderOptions& o = f.options;
  const Scene& s = f.scene;
  std::vector<FitsCard> common = {
      {"BUNIT", f.flux_unit, "pixel values: flux per pixel"},
      {"PIXSCALE", o.grid.pixel_scale, "arcsec per pixel"},
      {"SUPERSMP", static_cast<long long>(o.supersampling), "sub-pixels per pixel side"},
  };
  if (o.psf) {
    common.push_back({"PSFFWHM", o.psf->fwhm, "arcsec, FWHM of the Gaussian PSF"});
    common.push_back({"PSFSSCNV", o.supersampling_convolution, "PSF applied on the supersampled grid"});
  }
  if (f.magnitude_zero_point)
    common.push_back({"MAGZP", *f.magnitude_zero_point, "AB magnitude of 1 flux unit"});
  common.push_back({"ZLENS", s.lens_planes.front().z, "redshift of the first lens plane"});
  common.push_back({"SCENE", fs::path(f.path).filename().string(), "scene file"});
  common.push_back({"LFVERSN", std::string(LENSFORGE_VERSION), "lensforge version"});

  const FitsWcs wcs{0.0, 0.0, o.grid.pixel_scale};
  std::vector<FitsImageHdu> hdus;
  auto add = [&](std::string name, const ImageF& img, const std::string& what, const LightComponent* source) {
    FitsImageHdu h{std::move(name), img, common, wcs};
    h.cards.push_back({"COMPNT", what, "image component"});
    if (source) h.cards.push_back({"ZSOURCE", source->z, "source redshift"});
    hdus.push_back(std::move(h));
  };
  const std::size_t k = s.sources.size();
  add("TOTAL", images.total, "lens light + lensed sources", nullptr);
  add("LENS_LIGHT", images.lens_light, "lens light", nullptr);
  add("SOURCE", images.source, k == 1 ? "lensed source" : "sum of the lensed sources",
      k == 1 ? &s.sources.front() : nullptr);
  if (k > 1)
    for (std::size_t i = 0; i < k; ++i)
      add(fmt::format("SOURCE_{}", i + 1), images.sources[i], fmt::format("lensed source_light[{}]", i),
          &s.sources[i]);
  return hdus;
}

std::vector<FitsImageHdu> hybrid_fits_hdus(const SceneFile& f, const ImageF& total, const ImageF& arc,
                                           std::uint64_t seed) {
  const SceneCutout& sc = *f.cutout;
  const HybridCutout& c = sc.cutout;
  const RenderOptions& o = f.options;
  const std::string cat =
      sc.catalog_as_given.size() <= 68 ? sc.catalog_as_given : fs::path(sc.catalog).filename().string();
  std::vector<FitsCard> common = {
      {"BUNIT", f.flux_unit, "pixel values: flux per pixel"},
      {"PIXSCALE", o.grid.pixel_scale, "arcsec per pixel"},
      {"SUPERSMP", static_cast<long long>(o.supersampling), "sub-pixels per pixel side (the arc)"},
      {"MAGZP", c.zero_point, "AB magnitude of 1 e-/s (cutout row)"},
      {"EXPTIME", c.exposure_time, "s, for the arc's Poisson noise"},
      {"CUTNAME", c.name.substr(0, 68), "cutout (hybrid catalog row)"},
      {"CUTCAT", cat.substr(0, 68), "hybrid catalog"},
      {"CUTBAND", c.band.substr(0, 68), "band of the cutout"},
      {"SEED", static_cast<long long>(seed), "arc noise: Rng(seed, 0)"},
      {"ZLENS", f.scene.lens_planes.front().z, "redshift of the first lens plane"},
      {"SCENE", fs::path(f.path).filename().string(), "scene file"},
      {"LFVERSN", std::string(LENSFORGE_VERSION), "lensforge version"},
  };
  if (c.psf_kernel)
    common.insert(common.begin() + 3, FitsCard{"PSFFILE", fs::path(c.psf_file).filename().string().substr(0, 68),
                                               "the cutout's PSF kernel (FITS)"});
  else
    common.insert(common.begin() + 3, FitsCard{"PSFFWHM", c.psf_fwhm, "arcsec, FWHM of the cutout's Gaussian PSF"});
  const FitsWcs wcs{0.0, 0.0, o.grid.pixel_scale};
  std::vector<FitsImageHdu> hdus;
  auto add = [&](std::string name, ImageF img, const std::string& what) {
    FitsImageHdu h{std::move(name), std::move(img), common, wcs};
    h.cards.push_back({"COMPNT", what, "image component"});
    hdus.push_back(std::move(h));
  };
  add("TOTAL", total, "cutout + lensed sources with Poisson noise");
  add("SOURCE", arc, f.scene.sources.size() == 1 ? "lensed source, noiseless" : "sum of the lensed sources, noiseless");
  add("CUTOUT", c.pixels.cast<float>(), "the real cutout");
  return hdus;
}

int run_render_command(const RenderCommandArgs& args, std::ostream& out, std::ostream& err) {
  if (args.survey) return app::run_survey_render(args, *args.survey, out, err);
  auto report = [&](const std::string& msg, int status) {
    err << "lensforge-sim: error: " << one_line(msg) << std::endl;
    return status;
  };

  // 1. Everything that can be wrong with the input, before anything is written.
  SceneFile scene;
  std::string png_path;
  std::unique_ptr<Renderer> renderer;
  try {
    if (args.threads < 0) throw BadInput(fmt::format("--threads {} must be >= 1", args.threads));
    if (!has_extension(args.output_path, {".fits", ".fit", ".fts"}))
      throw BadInput(fmt::format("output '{}' must end in .fits, .fit or .fts", args.output_path));
    if (args.write_png) {
      png_path = args.png_path.value_or(default_png_path(args.output_path));
      if (!has_extension(png_path, {".png"})) throw BadInput(fmt::format("--png '{}' must end in .png", png_path));
    }
    scene = load_scene_yaml(args.scene_path);
    if (args.seed && !scene.cutout)
      throw BadInput(fmt::format("--seed {}: {} has no cutout, and a plain render is noiseless; --seed applies to a "
                                 "scene with cutout: or to --survey", *args.seed, args.scene_path));
    check_output(args.output_path, args.scene_path, args.overwrite);
    if (args.write_png) check_output(png_path, args.scene_path, args.overwrite);
    try {
      renderer = std::make_unique<Renderer>(scene.scene, scene.options);
    } catch (const ConfigError& e) {
      throw BadInput(fmt::format("{}: {}", args.scene_path, e.what()));
    }
  } catch (const Error& e) {  // BadInput, ConfigError from the scene, IoError reading it
    return report(e.what(), kExitBadInput);
  }

  // 2. Render and write.
  bool fits_written = false;
  try {
    std::optional<tbb::global_control> threads;
    if (args.threads > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(args.threads));
    const auto t0 = std::chrono::steady_clock::now();
    if (scene.cutout) {
      // Hybrid: the lensed sources with the cutout's PSF, Poisson-noisy, added to the real pixels.
      const HybridCutout& c = scene.cutout->cutout;
      const std::uint64_t seed = args.seed.value_or(0);
      const ImageF arc = hybrid_arc(c, scene.scene, scene.options.supersampling);
      Rng rng(seed, 0);
      const ImageF total = paint_arc(c.pixels, arc, c.exposure_time, rng).cast<float>();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto hdus = hybrid_fits_hdus(scene, total, arc, seed);
      write_fits(args.output_path, hdus);
      fits_written = true;
      if (args.write_png) write_png_gray(png_path, asinh_stretch(total));
      out << fmt::format("rendered {} on cutout '{}' ({}, {}x{} px, {}\"/px) of {} in {:.3f} s; arc flux {:.6g} e-/s, "
                         "seed {}\n",
                         args.scene_path, c.name, c.band, c.pixels.cols(), c.pixels.rows(), c.pixel_scale,
                         scene.cutout->catalog, seconds, arc.cast<double>().sum(), seed);
      out << fmt::format("wrote {} [{}]{}\n", args.output_path, hdu_list(hdus),
                         args.write_png ? " and " + png_path : std::string());
      return kExitOk;
    }
    const RenderedImages images = renderer->render();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const auto hdus = scene_fits_hdus(scene, images);
    write_fits(args.output_path, hdus);
    fits_written = true;
    if (args.write_png) write_png_gray(png_path, asinh_stretch(images.total));

    const PixelGrid& g = scene.options.grid;
    out << fmt::format("rendered {} ({}x{} px, {}\"/px, supersampling {}) in {:.3f} s; total flux {:.6g}\n",
                       args.scene_path, g.nx, g.ny, g.pixel_scale, scene.options.supersampling, seconds,
                       images.total.cast<double>().sum());
    out << fmt::format("wrote {} [{}]{}\n", args.output_path, hdu_list(hdus),
                       args.write_png ? " and " + png_path : std::string());
    return kExitOk;
  } catch (const std::exception& e) {
    // A failed preview must not leave the FITS file looking like a complete result.
    if (fits_written) {
      std::error_code ec;
      fs::remove(args.output_path, ec);
    }
    return report(e.what(), dynamic_cast<const ConfigError*>(&e) ? kExitBadInput : kExitFailure);
  }
}

}  // namespace lensforge
