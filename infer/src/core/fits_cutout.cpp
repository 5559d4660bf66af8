#include "lensforge/infer/fits_cutout.hpp"

#include <cctype>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"

namespace lensforge::infer {
namespace {

bool same_ignoring_case(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(a[k])) != std::tolower(static_cast<unsigned char>(b[k]))) return false;
  return true;
}

std::optional<double> header_number(const FitsImage& img, const char* key) {
  const auto text = img.card(key);
  if (!text) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(*text, &used);
    if (used != text->size() || !std::isfinite(v)) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// What a file contributed: the images and schemas in request order are filled by the callers.
struct FileIssues {
  std::vector<std::string> no_scale;  ///< bands whose pixel scale was assumed
  long long nan_pixels = 0;
};

/// The band's schema from the image header, the model band filling what the header lacks.
BandSchema schema_from_header(const FitsImage& img, const BandSchema& model, FileIssues& issues) {
  BandSchema s = model;
  s.nx = static_cast<int>(img.data.cols());
  s.ny = static_cast<int>(img.data.rows());
  const std::optional<double> scale = img.pixel_scale_arcsec();
  if (scale && *scale > 0.0 && *scale <= 10.0)
    s.pixel_scale = *scale;
  else
    issues.no_scale.push_back(model.name);
  if (const auto unit = img.card("BUNIT"); unit && !unit->empty()) s.unit = *unit;
  if (const auto zp = header_number(img, "MAGZP"); zp && *zp >= -100 && *zp <= 100) s.zero_point = *zp;
  if (const auto t = header_number(img, "EXPTIME"); t && *t >= 0 && *t <= 1e12) s.exposure_time = *t;
  if (const auto f = header_number(img, "PSFFWHM"); f && *f >= 0 && *f <= 10) s.psf_fwhm = *f;
  return s;
}

ImageF to_float_without_nan(const ImageD& data, FileIssues& issues) {
  ImageF out = data.cast<float>();
  for (Eigen::Index k = 0; k < out.size(); ++k)
    if (std::isnan(out.data()[k])) {
      out.data()[k] = 0.f;
      ++issues.nan_pixels;
    }
  return out;
}

void add_image(FitsCutout& cutout, const FitsImage& img, const BandSchema& model, FileIssues& issues) {
  cutout.bands.push_back(schema_from_header(img, model, issues));
  cutout.raw.bands.push_back(to_float_without_nan(img.data, issues));
}

/// One warning line for a file, or nothing.
void add_warning(FitsCutout& cutout, const std::string& path, const FileIssues& issues,
                 const std::vector<BandSchema>& model_bands) {
  std::string text;
  if (!issues.no_scale.empty()) {
    std::string assumed;
    for (const std::string& band : issues.no_scale)
      for (const BandSchema& m : model_bands)
        if (m.name == band) assumed += fmt::format("{}{} {}\"/px", assumed.empty() ? "" : ", ", band, m.pixel_scale);
    text += fmt::format("no pixel scale (CD, CDELT or PIXSCALE) in the header: assuming the model's ({})", assumed);
  }
  if (issues.nan_pixels > 0)
    text += fmt::format("{}{} NaN or blank pixels set to 0", text.empty() ? "" : "; ", issues.nan_pixels);
  if (!text.empty()) cutout.warnings.push_back(path + ": " + text);
}

}  // namespace

FitsCutout read_fits_cutout(const std::string& id, const std::string& path, const std::vector<BandSchema>& model_bands) {
  FitsCutout cutout;
  cutout.id = id;
  cutout.raw.index = -1;
  const std::vector<std::string> names = fits_hdu_names(path);
  // Headers (and pixels) of the image HDUs, read once each when a band is not found by EXTNAME.
  std::vector<std::optional<FitsImage>> images(names.size());
  std::vector<bool> tried(names.size(), false);
  auto image_at = [&](std::size_t k) -> const FitsImage* {
    if (!tried[k]) {
      tried[k] = true;
      try {
        images[k] = read_fits_image(path, static_cast<int>(k));
      } catch (const IoError&) {
        // not a 2-D image (a table, an empty primary): never a band
      }
    }
    return images[k] ? &*images[k] : nullptr;
  };
  FileIssues issues;
  for (const BandSchema& band : model_bands) {
    const FitsImage* found = nullptr;
    for (std::size_t k = 0; k < names.size() && !found; ++k)
      if (same_ignoring_case(names[k], band.name)) found = image_at(k);
    for (std::size_t k = 0; k < names.size() && !found; ++k) {
      const FitsImage* img = image_at(k);
      if (!img) continue;
      for (const char* key : {"FILTER", "BAND"})
        if (const auto v = img->card(key); v && same_ignoring_case(*v, band.name)) found = img;
    }
    if (!found && model_bands.size() == 1) {
      const FitsImage* only = nullptr;
      int count = 0;
      for (std::size_t k = 0; k < names.size(); ++k)
        if (const FitsImage* img = image_at(k)) {
          only = img;
          ++count;
        }
      if (count == 1) found = only;
    }
    if (!found) {
      std::string listing;
      for (std::size_t k = 0; k < names.size(); ++k) {
        const FitsImage* img = image_at(k);
        listing += fmt::format("{}HDU {} EXTNAME '{}'", k ? ", " : "", k, names[k]);
        if (!img) {
          listing += " (no 2-D image)";
          continue;
        }
        for (const char* key : {"FILTER", "BAND"})
          if (const auto v = img->card(key)) listing += fmt::format(" {} '{}'", key, *v);
      }
      throw IoError(fmt::format("{}: no image HDU for band '{}' (matched by EXTNAME, FILTER or BAND); the file has {}",
                                path, band.name, listing));
    }
    add_image(cutout, *found, band, issues);
  }
  add_warning(cutout, path, issues, model_bands);
  return cutout;
}

FitsCutout read_fits_cutout(const std::string& id, const std::vector<std::string>& band_paths,
                            const std::vector<BandSchema>& model_bands) {
  if (band_paths.size() != model_bands.size())
    throw ConfigError(fmt::format("object '{}': {} band files for {} bands", id, band_paths.size(), model_bands.size()));
  FitsCutout cutout;
  cutout.id = id;
  cutout.raw.index = -1;
  for (std::size_t k = 0; k < band_paths.size(); ++k) {
    FileIssues issues;
    add_image(cutout, read_fits_image(band_paths[k]), model_bands[k], issues);
    add_warning(cutout, band_paths[k], issues, model_bands);
  }
  return cutout;
}

}  // namespace lensforge::infer
