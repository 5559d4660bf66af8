#include "lensforge/sim/render/hybrid.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "../config/csv_fields.hpp"
#include "../core/border_noise.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/optics/pixelated_kernel.hpp"
#include "lensforge/sim/render/renderer.hpp"

namespace lensforge {
namespace {

using detail::parse_finite;
using detail::trim;
using detail::split_fields;

// The image of HDU `hdu` (empty: the first image HDU; a 0-based index; else an EXTNAME).
FitsImage read_hdu(const std::string& file, const std::string& hdu) {
  const auto h = parse_finite(hdu);
  return hdu.empty() ? read_fits_image(file, -1)
         : (h && *h == std::floor(*h) && *h >= 0) ? read_fits_image(file, int(*h))
                                                   : read_fits_image(file, hdu);
}

// Pixel sum after subtracting the median of the outer 4 pixels (the whole image when smaller).
double background_subtracted_flux(const ImageD& img) {
  return img.sum() - detail::border_noise(img).median * double(img.size());
}

// The row's PSF kernel on the cutout's grid (odd x odd square, sum 1); `fail` throws the row's
// error for a message about the kernel.
template <class Fail>
ImageD load_psf_kernel(const std::string& file, const std::string& hdu, const std::string& scale_field,
                       double cutout_scale, const Fail& fail) {
  FitsImage img;
  try {
    img = read_hdu(file, hdu);
  } catch (const Error& err) {
    fail(fmt::format("hdu '{}': {}; psf_hdu must be a 0-based index, an EXTNAME or empty (the first image HDU)",
                     hdu, err.what()));
  }
  const ImageD& k = img.data;
  if (img.num_nan > 0 || !k.isFinite().all())
    fail(fmt::format("{} NaN or infinite pixels; a PSF kernel must be finite",
                     (!k.isFinite()).count()));
  const double sum = k.sum();
  if (!(sum > 0.0)) fail(fmt::format("pixel sum = {} must be > 0 (it is normalised to 1)", sum));
  double scale = cutout_scale;
  if (scale_field == "header") {
    const auto h = img.pixel_scale_arcsec();
    if (!h) fail("psf_pixel_scale = header, but the kernel has no PIXSCALE, CD or CDELT cards; give arcsec per "
                 "kernel pixel, or leave it empty for the cutout's scale");
    scale = *h;
  } else if (!scale_field.empty()) {
    const auto v = parse_finite(scale_field);
    if (!v || !(*v > 0.0))
      fail(fmt::format("psf_pixel_scale = '{}' must be a number > 0 (arcsec per kernel pixel), 'header' or empty "
                       "(the cutout's scale)",
                       scale_field));
    scale = *v;
  }
  const bool on_grid = std::abs(scale - cutout_scale) <= 1e-9 * cutout_scale;
  if (on_grid && k.rows() == k.cols() && k.rows() % 2 == 1) {
    // Used as it is: its centre must be the central pixel.
    double cx = 0.0, cy = 0.0;
    for (Eigen::Index i = 0; i < k.rows(); ++i)
      for (Eigen::Index j = 0; j < k.cols(); ++j) {
        cx += k(i, j) * double(j);
        cy += k(i, j) * double(i);
      }
    const double r = double(k.rows() / 2), dx = cx / sum - r, dy = cy / sum - r;
    if (std::hypot(dx, dy) > 1.0)
      fail(fmt::format("its flux centroid is ({:.3g}, {:.3g}) pixels (x, y) from the central pixel of the {}x{} "
                       "kernel; an odd square kernel must be centred on its central pixel (within 1 pixel)",
                       dx, dy, k.rows(), k.cols()));
    return k / sum;
  }
  PixelatedKernelParams p;
  p.input_pixel_scale = scale;
  p.pixel_scale = cutout_scale;
  p.negative_pixels = NegativePixels::Keep;
  ImageD out;
  try {
    out = pixelated_kernel(k, p).pixels().cast<double>();
  } catch (const Error& err) {
    fail(fmt::format("cannot resample the {}x{} kernel of {} arcsec/pixel to the cutout's {} arcsec/pixel: {}",
                     k.rows(), k.cols(), scale, cutout_scale, err.what()));
  }
  return out / out.sum();
}

}  // namespace

std::vector<HybridCutout> load_hybrid_catalog(const std::string& catalog_path) {
  const detail::CsvTable table = detail::read_csv_table(
      catalog_path, "hybrid catalog",
      {"name", "band", "file", "hdu", "pixel_scale", "zero_point", "psf_fwhm", "z_lens", "sigma_v", "exposure_time"},
      "name, band, file, hdu, pixel_scale, zero_point, psf_fwhm, z_lens, sigma_v, exposure_time (optional: psf_file, "
      "psf_hdu, psf_pixel_scale, magnitude, split)");
  const std::filesystem::path folder = std::filesystem::path(catalog_path).parent_path();
  std::vector<HybridCutout> out;
  for (const detail::CsvTable::Row& row : table.rows) {
    const int lineno = row.line;
    auto get = [&](const char* k) { return table.get(row, k); };
    HybridCutout c;
    c.line = lineno;
    c.name = get("name");
    auto fail = [&](const std::string& what) {
      throw ConfigError(fmt::format("{}:{}: row '{}': {}", catalog_path, lineno, c.name, what));
    };
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
      img = read_hdu(c.file, hdu);
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
    // Optional columns read as "" when absent.
    auto opt = get;  // optional columns read "" when absent
    const std::string psf_file = opt("psf_file");
    if (psf_file.empty()) {
      if (!opt("psf_hdu").empty() || !opt("psf_pixel_scale").empty())
        fail("psf_hdu or psf_pixel_scale is set but psf_file is empty; name the kernel's FITS file or clear them");
      c.psf_fwhm = positive("psf_fwhm", "arcsec; it may be empty only when psf_file names a PSF kernel");
    } else {
      std::filesystem::path pf = psf_file;
      if (pf.is_relative()) pf = folder / pf;
      c.psf_file = pf.string();
      auto kfail = [&](const std::string& what) { fail(fmt::format("psf_file '{}': {}", c.psf_file, what)); };
      if (!std::filesystem::is_regular_file(pf)) kfail("not found (a FITS kernel, relative to the catalog's folder)");
      c.psf_kernel = load_psf_kernel(c.psf_file, opt("psf_hdu"), opt("psf_pixel_scale"), c.pixel_scale, kfail);
      try {
        c.psf_convolver = std::make_shared<const FftConvolver>(PsfKernel(c.psf_kernel->cast<float>(), c.pixel_scale));
      } catch (const ConfigError& err) {
        kfail(err.what());
      }
      if (!get("psf_fwhm").empty()) {
        const auto v = parse_finite(get("psf_fwhm"));
        if (!v || !(*v >= 0.0))
          fail(fmt::format("psf_fwhm = '{}' must be a number >= 0 (arcsec) or empty with psf_file", get("psf_fwhm")));
        c.psf_fwhm = *v;
      }
    }
    c.z_lens = positive("z_lens", "redshift");
    if (!get("sigma_v").empty()) c.sigma_v = positive("sigma_v", "km/s; or empty for the Faber-Jackson proxy");
    if (const std::string m = opt("magnitude"); !m.empty()) {
      const auto v = parse_finite(m);
      if (!v) fail(fmt::format("magnitude = '{}' must be a number (AB) or empty (measured on the cutout)", m));
      c.magnitude = *v;
    } else {
      const double flux = background_subtracted_flux(c.pixels);
      if (flux > 0.0) {
        c.magnitude = c.zero_point - 2.5 * std::log10(flux);
        c.magnitude_measured = true;
      } else if (!c.sigma_v) {
        fail(fmt::format("sigma_v is empty and the cutout's flux after subtracting its border median is {} (not "
                         "positive), so no Faber-Jackson proxy; give sigma_v (km/s) or magnitude (AB)",
                         flux));
      }
    }
    c.exposure_time = positive("exposure_time", "s");
    c.split = get("split");
    out.push_back(std::move(c));
  }
  if (out.empty()) throw ConfigError(fmt::format("{}: hybrid catalog has no rows", catalog_path));
  return out;
}

double faber_jackson_sigma_v(double magnitude, double z_lens, const FlatLambdaCDM& cosmo) {
  if (!(z_lens > 0.0) || !std::isfinite(z_lens))
    throw ConfigError(fmt::format("Faber-Jackson proxy: z_lens = {} must be > 0", z_lens));
  if (!std::isfinite(magnitude))
    throw ConfigError(fmt::format("Faber-Jackson proxy: magnitude = {} must be finite (AB)", magnitude));
  // Flat: D_L = (1 + z) D_C; DM = 5 log10(D_L / 10 pc) = 5 log10(D_L / Mpc) + 25.
  const double d_l = (1.0 + z_lens) * cosmo.comoving_distance(z_lens);
  const double abs_mag = magnitude - (5.0 * std::log10(d_l) + 25.0);
  const double sigma = 220.0 * std::pow(10.0, -(abs_mag + 21.0) / 10.0);
  return std::clamp(sigma, kFaberJacksonSigmaMin, kFaberJacksonSigmaMax);
}

double hybrid_sigma_v(const HybridCutout& c, const FlatLambdaCDM& cosmo) {
  if (c.sigma_v) return *c.sigma_v;
  if (!c.magnitude)
    throw ConfigError(fmt::format("cutout '{}': no sigma_v and no magnitude for the Faber-Jackson proxy; give "
                                  "sigma_v (km/s) or magnitude (AB) in its catalog row",
                                  c.name));
  return faber_jackson_sigma_v(*c.magnitude, c.z_lens, cosmo);
}

double hybrid_theta_E(const HybridCutout& c, const FlatLambdaCDM& cosmo, double z_source) {
  if (!(z_source > c.z_lens))
    throw ConfigError(fmt::format("cutout '{}': source z = {} must be behind the lens (z_lens = {})", c.name,
                                  z_source, c.z_lens));
  return cosmo.sis_theta_E(hybrid_sigma_v(c, cosmo), c.z_lens, z_source);
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
  if (!c.psf_kernel) h.options.psf = GaussianPsf{c.psf_fwhm, 5.0};
  return h;
}

ImageF hybrid_arc(const HybridCutout& c, const Scene& scene, int supersampling) {
  RenderOptions options;
  options.grid = PixelGrid{int(c.pixels.cols()), int(c.pixels.rows()), c.pixel_scale, 0.0, 0.0};
  options.supersampling = supersampling;
  if (!c.psf_kernel) {
    options.psf = GaussianPsf{c.psf_fwhm, 5.0};
    return render(scene, options).source;
  }
  const ImageF arc = render(scene, options).source;
  try {
    if (c.psf_convolver) return c.psf_convolver->convolve(arc);
    return FftConvolver(PsfKernel(c.psf_kernel->cast<float>(), c.pixel_scale)).convolve(arc);
  } catch (const ConfigError& err) {
    throw ConfigError(fmt::format("cutout '{}': psf_kernel: {}", c.name, err.what()));
  }
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
