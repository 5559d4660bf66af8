#include "lensforge/sim/render/hybrid.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "../config/csv_fields.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/render/renderer.hpp"

namespace lensforge {
namespace {

using detail::parse_finite;
using detail::trim;
using detail::split_fields;

}  // namespace

std::vector<HybridCutout> load_hybrid_catalog(const std::string& catalog_path) {
  std::ifstream in(catalog_path);
  if (!in) throw IoError(fmt::format("cannot open hybrid catalog '{}'", catalog_path));
  const std::filesystem::path folder = std::filesystem::path(catalog_path).parent_path();
  static const char* kCols[] = {"name",     "band",   "file",    "hdu",          "pixel_scale",
                                "zero_point", "psf_fwhm", "z_lens", "sigma_v", "exposure_time"};
  std::vector<HybridCutout> out;
  std::vector<std::string> header;
  std::map<std::string, std::size_t> col;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (const auto h = line.find('#'); h != std::string::npos) line.resize(h);
    if (trim(line).empty()) continue;
    const auto f = split_fields(line);
    if (header.empty()) {
      header = f;
      for (std::size_t k = 0; k < f.size(); ++k) col[f[k]] = k;
      for (const char* c : kCols)
        if (!col.count(c))
          throw ConfigError(fmt::format("{}:{}: hybrid catalog header has no column '{}'; needed: name, band, file, "
                                        "hdu, pixel_scale, zero_point, psf_fwhm, z_lens, sigma_v, exposure_time",
                                        catalog_path, lineno, c));
      continue;
    }
    HybridCutout c;
    c.line = lineno;
    c.name = f.size() > col["name"] ? f[col["name"]] : "";
    auto fail = [&](const std::string& what) {
      throw ConfigError(fmt::format("{}:{}: row '{}': {}", catalog_path, lineno, c.name, what));
    };
    if (f.size() != header.size()) fail(fmt::format("has {} fields, the header has {}", f.size(), header.size()));
    auto get = [&](const char* k) { return f[col[k]]; };
    auto positive = [&](const char* k, const char* unit) {
      const auto v = parse_finite(get(k));
      if (!v || !(*v > 0.0)) fail(fmt::format("{} = '{}' must be a number > 0 ({})", k, get(k), unit));
      return *v;
    };
    if (c.name.empty()) fail("name is empty");
    c.band = get("band");
    std::filesystem::path file = get("file");
    if (file.empty()) fail("file is empty");
    if (file.is_relative()) file = folder / file;
    c.file = file.string();
    if (!std::filesystem::is_regular_file(file)) fail(fmt::format("file '{}' not found", c.file));
    const std::string hdu = get("hdu");
    FitsImage img;
    try {
      const auto h = parse_finite(hdu);
      img = hdu.empty() ? read_fits_image(c.file, -1)
            : (h && *h == std::floor(*h) && *h >= 0) ? read_fits_image(c.file, int(*h))
                                                      : read_fits_image(c.file, hdu);
    } catch (const Error& err) {
      fail(fmt::format("hdu '{}' of '{}': {}", hdu, c.file, err.what()));
    }
    if (img.num_nan > 0) fail(fmt::format("'{}' holds {} NaN pixels", c.file, img.num_nan));
    c.pixels = std::move(img.data);
    if (get("pixel_scale") == "header") {
      const auto s = img.pixel_scale_arcsec();
      if (!s) fail(fmt::format("pixel_scale = header, but '{}' has no PIXSCALE, CD or CDELT cards", c.file));
      c.pixel_scale = *s;
    } else if (get("pixel_scale").empty()) {
      fail("pixel_scale is unknown (empty); give arcsec per pixel or 'header'");
    } else {
      c.pixel_scale = positive("pixel_scale", "arcsec");
    }
    const auto zp = parse_finite(get("zero_point"));
    if (!zp) fail(fmt::format("zero_point = '{}' must be a number (AB magnitude of 1 e-/s)", get("zero_point")));
    c.zero_point = *zp;
    c.psf_fwhm = positive("psf_fwhm", "arcsec");
    c.z_lens = positive("z_lens", "redshift");
    c.sigma_v = positive("sigma_v", "km/s");
    c.exposure_time = positive("exposure_time", "s");
    if (col.count("split")) c.split = get("split");
    out.push_back(std::move(c));
  }
  if (out.empty()) throw ConfigError(fmt::format("{}: hybrid catalog has no rows", catalog_path));
  return out;
}

double hybrid_theta_E(const HybridCutout& c, const FlatLambdaCDM& cosmo, double z_source) {
  if (!(z_source > c.z_lens))
    throw ConfigError(fmt::format("cutout '{}': source z = {} must be behind the lens (z_lens = {})", c.name,
                                  z_source, c.z_lens));
  return cosmo.sis_theta_E(c.sigma_v, c.z_lens, z_source);
}

HybridSystem hybrid_system(const HybridCutout& c, const FlatLambdaCDM& cosmo, const LightComponent& source,
                           double e1, double e2, int supersampling) {
  HybridSystem h;
  h.theta_E = hybrid_theta_E(c, cosmo, source.z);
  h.scene.cosmology = cosmo;
  h.scene.z_source_convention = source.z;
  h.scene.lens_planes.push_back(LensPlane{c.z_lens, {Sie{h.theta_E, e1, e2, 0.0, 0.0}}});
  h.scene.sources.push_back(source);
  h.options.grid = PixelGrid{int(c.pixels.cols()), int(c.pixels.rows()), c.pixel_scale, 0.0, 0.0};
  h.options.supersampling = supersampling;
  h.options.psf = GaussianPsf{c.psf_fwhm, 5.0};
  return h;
}

ImageF hybrid_arc(const HybridCutout& c, const Scene& scene, int supersampling) {
  RenderOptions options;
  options.grid = PixelGrid{int(c.pixels.cols()), int(c.pixels.rows()), c.pixel_scale, 0.0, 0.0};
  options.supersampling = supersampling;
  options.psf = GaussianPsf{c.psf_fwhm, 5.0};
  return render(scene, options).source;
}

ImageD paint_arc(const ImageD& cutout, const ImageF& arc, double exposure_time, Rng& rng) {
  if (arc.rows() != cutout.rows() || arc.cols() != cutout.cols())
    throw ConfigError(fmt::format("paint_arc: arc is {}x{} but the cutout is {}x{}", arc.rows(), arc.cols(),
                                  cutout.rows(), cutout.cols()));
  ImageD out = cutout;
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    for (Eigen::Index j = 0; j < out.cols(); ++j) {
      const double a = arc(i, j);
      if (a == 0.0) continue;
      // Poisson noise of the arc's own electrons (a negative value from PSF ringing adds as is).
      out(i, j) += a > 0.0 ? double(rng.poisson(a * exposure_time)) / exposure_time : a;
    }
  return out;
}

HybridImage render_hybrid(const HybridCutout& c, const FlatLambdaCDM& cosmo, const LightComponent& source,
                          Rng& rng, double e1, double e2, int supersampling) {
  const HybridSystem h = hybrid_system(c, cosmo, source, e1, e2, supersampling);
  HybridImage out;
  out.theta_E = h.theta_E;
  out.arc = hybrid_arc(c, h.scene, supersampling);
  out.image = paint_arc(c.pixels, out.arc, c.exposure_time, rng);
  return out;
}

}  // namespace lensforge
