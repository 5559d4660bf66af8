#include "lensforge/sim/population/cutout_library.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "../core/border_noise.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/detector/noise_model.hpp"
#include "lensforge/sim/population/label_column.hpp"

namespace lensforge {
CutoutLibrary load_cutout_library(const std::string& catalog_path, const std::vector<Band>& bands) {
  CutoutLibrary lib;
  lib.path = catalog_path;
  std::map<std::string, std::size_t> by_name;
  std::vector<std::vector<const HybridCutout*>> found;
  const std::vector<HybridCutout> rows = load_hybrid_catalog(catalog_path);
  for (const HybridCutout& c : rows) {
    if (c.name.size() > kMaxNameLength)
      throw ConfigError(fmt::format("{}:{}: row '{}': the name has {} characters; at most {} (it becomes a label)",
                                    catalog_path, c.line, c.name, c.name.size(), kMaxNameLength));
    auto it = by_name.find(c.name);
    if (it == by_name.end()) {
      it = by_name.emplace(c.name, lib.sets.size()).first;
      lib.sets.push_back(CutoutSet{c.name, c.split, {}, {}});
      found.emplace_back(bands.size(), nullptr);
    }
    const auto band = std::find_if(bands.begin(), bands.end(), [&](const Band& b) { return b.name == c.band; });
    if (band == bands.end()) continue;
    auto fail = [&](const std::string& what) {
      throw ConfigError(fmt::format("{}:{}: row '{}' (band {}): {}", catalog_path, c.line, c.name, c.band, what));
    };
    const std::size_t k = std::size_t(band - bands.begin());
    if (found[it->second][k]) fail(fmt::format("a second row for band {} (first on line {})", c.band, found[it->second][k]->line));
    if (c.split != lib.sets[it->second].split)
      fail(fmt::format("split '{}' differs from the name's first row ('{}')", c.split, lib.sets[it->second].split));
    found[it->second][k] = &c;
  }
  for (std::size_t s = 0; s < lib.sets.size(); ++s) {
    CutoutSet& set = lib.sets[s];
    for (std::size_t k = 0; k < bands.size(); ++k) {
      const Band& band = bands[k];
      const HybridCutout* c = found[s][k];
      if (!c)
        throw ConfigError(fmt::format("{}: cutout '{}' has no row for band {}; every cutout needs a row per observed band",
                                      catalog_path, set.name, band.name));
      auto fail = [&](const std::string& what) {
        throw ConfigError(fmt::format("{}:{}: row '{}' (band {}): {}", catalog_path, c->line, c->name, c->band, what));
      };
      if (std::abs(c->pixel_scale - band.pixel_scale) > 1e-6 * band.pixel_scale)
        fail(fmt::format("pixel scale {}\" is not the band's {}\"; resample the cutout to the band's pixels",
                         c->pixel_scale, band.pixel_scale));
      const Eigen::Index rows = c->pixels.rows(), cols = c->pixels.cols();
      if (rows < band.ny || cols < band.nx || (rows - band.ny) % 2 != 0 || (cols - band.nx) % 2 != 0)
        fail(fmt::format("{}x{} pixels cannot be centre-cropped to the band's {}x{} (needs at least that size and an "
                         "even difference)",
                         cols, rows, band.nx, band.ny));
      HybridCutout cut = *c;
      const double to_band = std::pow(10.0, 0.4 * (band.zero_point - c->zero_point));
      cut.pixels = c->pixels.block((rows - band.ny) / 2, (cols - band.nx) / 2, band.ny, band.nx) * to_band;
      cut.zero_point = band.zero_point;
      set.noise_sigma.push_back(detail::border_noise(cut.pixels).sigma);
      set.bands.push_back(std::move(cut));
    }
  }
  return lib;
}

ImageD dihedral(const ImageD& image, int t) {
  ImageD out = image;
  for (int r = 0; r < (t & 3); ++r) {
    const ImageD in = out;
    out.resize(in.cols(), in.rows());
    for (Eigen::Index i = 0; i < out.rows(); ++i)
      for (Eigen::Index j = 0; j < out.cols(); ++j) out(i, j) = in(j, in.cols() - 1 - i);
  }
  if (t & 4) out = out.rowwise().reverse().eval();
  return out;
}

BandObservation observe_cutout(const CutoutSet& set, std::size_t k, const Band& band, int transform,
                               const Scene& scene, const ObservationOptions& options, const Rng& rng) {
  const HybridCutout& c = set.bands.at(k);
  ImageD pixels = dihedral(c.pixels, transform);  // square when transformed: c's grid still applies
  if (!options.noise_options.subtract_background) pixels.array() += band.background_rate();

  BandObservation b;
  b.band = band.name;
  b.lens_light = pixels.cast<float>();
  b.source = ImageF::Zero(pixels.rows(), pixels.cols());
  if (!scene.sources.empty()) b.source = hybrid_arc(c, scene_in_band(scene, band), options.supersampling);
  if (options.source_images) b.sources.assign(1, b.source);
  b.noiseless = (pixels + b.source.cast<double>()).cast<float>();
  if (!options.noise) return b;

  Rng noise = rng.split(k);
  const ImageD painted = paint_arc(pixels, b.source, c.exposure_time, noise);
  const OutputScale out = output_scale(band, options.noise_options);
  Observation& o = b.observed;
  o.image = (painted * out.scale).cast<float>();
  o.sigma.resize(painted.rows(), painted.cols());
  const double s2 = set.noise_sigma[k] * set.noise_sigma[k];
  for (Eigen::Index i = 0; i < painted.size(); ++i)
    o.sigma.data()[i] =
        float(out.scale * std::sqrt(s2 + std::max(double(b.noiseless.data()[i]), 0.0) / c.exposure_time));
  o.mask = Mask::Zero(painted.rows(), painted.cols());
  o.unit = options.noise_options.unit;
  o.zero_point = out.zero_point;
  o.scale = out.scale;
  o.exposure_time = c.exposure_time;
  o.background = options.noise_options.subtract_background ? 0.0 : band.background_rate() * out.scale;
  return b;
}

}  // namespace lensforge
