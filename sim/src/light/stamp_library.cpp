#include "lensforge/sim/light/stamp_library.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "../config/csv_fields.hpp"
#include "../core/border_noise.hpp"
#include "../io/hdf5_handle.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"

namespace lensforge {
namespace {

using detail::parse_finite;
using detail::trim;
using detail::split_fields;

// Half-light radius (arcsec) of a non-negative image about its flux-weighted centre.
double half_light_radius(const ImageD& img, double pixel_scale) {
  double sum = 0.0, sx = 0.0, sy = 0.0;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j) {
      sum += img(i, j);
      sx += img(i, j) * double(j);
      sy += img(i, j) * double(i);
    }
  const double cx = sx / sum, cy = sy / sum;
  std::vector<std::pair<double, double>> rf;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j)
      if (img(i, j) > 0.0) rf.emplace_back(std::hypot(double(j) - cx, double(i) - cy), img(i, j));
  std::sort(rf.begin(), rf.end());
  double acc = 0.0;
  for (const auto& [r, f] : rf) {
    acc += f;
    if (acc >= 0.5 * sum) return r * pixel_scale;
  }
  return 0.0;
}

StampPixels read_fits_stamp(const std::string& file, const std::string& hdu) {
  FitsImage img;
  if (hdu.empty()) {
    img = read_fits_image(file, -1);
  } else if (const auto h = parse_finite(hdu); h && *h == std::floor(*h) && *h >= 0) {
    img = read_fits_image(file, int(*h));
  } else {
    img = read_fits_image(file, hdu);
  }
  StampPixels p;
  p.float32 = img.bitpix == -32;
  p.header_scale = img.pixel_scale_arcsec();
  p.num_nan = img.num_nan;
  p.data = std::move(img.data);
  return p;
}

// A 2-D float32/float64 dataset of an HDF5 file; its attribute pixel_scale (arcsec), if present.
StampPixels read_hdf5_stamp(const std::string& file, const std::string& dataset) {
  using namespace detail;
  const H5Context c(file);
  if (dataset.empty()) c.fail("hdu is empty; for an HDF5 library it is the dataset path, e.g. /stamps/NAME");
  const std::string path = dataset.front() == '/' ? dataset : "/" + dataset;
  H5ErrorSilencer quiet;
  const htri_t is_h5 = H5Fis_hdf5(file.c_str());
  if (is_h5 < 0) c.fail_h5("cannot read");
  if (is_h5 == 0) c.fail("not an HDF5 file (the name ends in .h5/.hdf5)");
  H5File f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) c.fail_open("HDF5 cannot open it", "");
  if (!has_link(c, f.get(), path)) c.fail(fmt::format("no dataset '{}'", path));
  {
    const hid_t obj = c.id(H5Oopen(f.get(), path.c_str(), H5P_DEFAULT), fmt::format("cannot open '{}'", path));
    const H5I_type_t kind = H5Iget_type(obj);
    H5Oclose(obj);
    if (kind != H5I_DATASET) c.fail(fmt::format("'{}' is not a dataset (a group?)", path));
  }
  H5Dataset ds(c.id(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), fmt::format("cannot open '{}'", path)));
  H5Type type(c.id(H5Dget_type(ds.get()), fmt::format("cannot read the type of '{}'", path)));
  if (H5Tget_class(type.get()) != H5T_FLOAT)
    c.fail(fmt::format("dataset '{}' is not floating point; stamps are 2-D float32 or float64", path));
  const bool f32 = H5Tget_size(type.get()) == 4;
  H5Space space(c.id(H5Dget_space(ds.get()), fmt::format("cannot read the shape of '{}'", path)));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 2) c.fail(fmt::format("dataset '{}' has {} dimensions; a stamp is 2-D (rows, columns)", path, rank));
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  StampPixels p;
  p.float32 = f32;
  p.data.resize(Eigen::Index(dims[0]), Eigen::Index(dims[1]));
  if (p.data.size() > 0)
    c.ok(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data.data()),
         fmt::format("cannot read '{}'", path));
  p.num_nan = p.data.isNaN().count();
  if (has_attr(c, ds.get(), "pixel_scale")) p.header_scale = read_attr_f64(c, ds.get(), "pixel_scale", path);
  return p;
}

}  // namespace

bool is_hdf5_stamp_file(const std::string& file) {
  std::string ext = std::filesystem::path(file).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return ext == ".h5" || ext == ".hdf5";
}

StampPixels read_stamp_pixels(const std::string& file, const std::string& hdu) {
  return is_hdf5_stamp_file(file) ? read_hdf5_stamp(file, hdu) : read_fits_stamp(file, hdu);
}

StampLibrary load_stamp_library(const std::string& catalog_path, StampCleaning cleaning) {
  if (!(cleaning.threshold >= 0.0))
    throw ConfigError(fmt::format("stamp cleaning threshold = {} must be >= 0 (noise sigmas)", cleaning.threshold));
  const detail::CsvTable table = detail::read_csv_table(
      catalog_path, "stamp catalog", {"name", "file", "hdu", "pixel_scale", "zero_point", "redshift", "psf_fwhm"},
      "name, file, hdu, pixel_scale, zero_point, redshift, psf_fwhm (optional: magnitude, size)");
  const std::filesystem::path folder = std::filesystem::path(catalog_path).parent_path();
  StampLibrary lib;
  lib.path = catalog_path;
  for (const detail::CsvTable::Row& row : table.rows) {
    const int lineno = row.line;
    auto get = [&](const char* c) { return table.get(row, c); };
    const std::string row_name = get("name");
    auto fail = [&](const std::string& what) {
      throw ConfigError(fmt::format("{}:{}: row '{}': {}", catalog_path, lineno, row_name, what));
    };
    auto number = [&](const char* c, bool required) -> std::optional<double> {
      const std::string v = get(c);
      if (v.empty()) {
        if (required) fail(fmt::format("{} is empty; it needs a number", c));
        return std::nullopt;
      }
      const auto d = parse_finite(v);
      if (!d) fail(fmt::format("{} = '{}' is not a finite number", c, v));
      return d;
    };
    StampEntry e;
    e.name = row_name;
    e.line = lineno;
    if (e.name.empty()) fail("name is empty");
    for (const StampEntry& o : lib.entries)
      if (o.name == e.name) fail(fmt::format("name repeats the row on line {}", o.line));
    std::filesystem::path file = get("file");
    if (file.empty()) fail("file is empty");
    if (file.is_relative()) file = folder / file;
    e.file = file.string();
    if (!std::filesystem::is_regular_file(file)) fail(fmt::format("file '{}' not found", e.file));
    e.hdu = get("hdu");
    const bool hdf5 = is_hdf5_stamp_file(e.file);
    StampPixels img;
    try {
      img = read_stamp_pixels(e.file, e.hdu);
    } catch (const Error& err) {
      fail(hdf5 ? fmt::format("dataset '{}' of '{}': {}", e.hdu, e.file, err.what())
                : fmt::format("hdu '{}' of '{}': {}", e.hdu, e.file, err.what()));
    }
    const std::string ps = get("pixel_scale");
    if (ps == "header") {
      if (!img.header_scale)
        fail(hdf5 ? fmt::format("pixel_scale = header, but dataset '{}' of '{}' has no pixel_scale attribute; give "
                                "the pixel scale in arcsec",
                                e.hdu, e.file)
                  : fmt::format("pixel_scale = header, but '{}' has no PIXSCALE, CD or CDELT cards; give the pixel "
                                "scale in arcsec",
                                e.file));
      e.pixel_scale = *img.header_scale;
    } else if (ps.empty()) {
      fail("pixel_scale is unknown (empty); give arcsec per pixel or 'header'");
    } else {
      e.pixel_scale = *number("pixel_scale", true);
    }
    if (!(e.pixel_scale > 0.0)) fail(fmt::format("pixel_scale = {} must be > 0 (arcsec)", e.pixel_scale));
    e.zero_point = *number("zero_point", true);
    e.redshift = number("redshift", false);
    e.psf_fwhm = number("psf_fwhm", false).value_or(0.0);
    if (!(e.psf_fwhm >= 0.0)) fail(fmt::format("psf_fwhm = {} must be >= 0 (arcsec)", e.psf_fwhm));
    if (img.num_nan > 0) fail(fmt::format("'{}' holds {} NaN pixels", e.file, img.num_nan));
    if (img.data.rows() < 8 || img.data.cols() < 8)
      fail(fmt::format("stamp is {}x{} pixels; needs at least 8x8", img.data.rows(), img.data.cols()));

    // Cleaning: border median subtracted, pixels under threshold * sigma zeroed.
    ImageD s = img.data;
    const detail::BorderNoise bg = detail::border_noise(s);
    s -= bg.median;
    if (cleaning.threshold > 0.0) s = (s < cleaning.threshold * bg.sigma).select(0.0, s);
    e.flux = s.sum();
    if (!(e.flux > 0.0)) fail(fmt::format("stamp has no positive flux after cleaning (sum = {})", e.flux));
    e.magnitude = number("magnitude", false).value_or(e.zero_point - 2.5 * std::log10(e.flux));
    e.size = number("size", false).value_or(half_light_radius(s.max(0.0), e.pixel_scale));
    e.stamp = std::make_shared<const ImageD>(s / e.flux);
    lib.entries.push_back(std::move(e));
  }
  if (lib.entries.empty()) throw ConfigError(fmt::format("{}: stamp catalog has no rows", catalog_path));
  return lib;
}

std::vector<std::size_t> select_stamps(const StampLibrary& lib, const StampQuery& q) {
  auto in = [](double v, const std::optional<double>& lo, const std::optional<double>& hi) {
    return (!lo || v >= *lo) && (!hi || v <= *hi);
  };
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < lib.entries.size(); ++k) {
    const StampEntry& e = lib.entries[k];
    if (!in(e.magnitude, q.magnitude_min, q.magnitude_max) || !in(e.size, q.size_min, q.size_max)) continue;
    if (q.redshift_min || q.redshift_max) {
      if (!e.redshift || !in(*e.redshift, q.redshift_min, q.redshift_max)) continue;
    }
    out.push_back(k);
  }
  return out;
}

InterpolatedImage stamp_profile(const StampEntry& e, double flux, double cx, double cy, double rotation, bool flip,
                                double pixel_scale) {
  InterpolatedImage im;
  im.stamp = e.stamp;
  im.amp = flux;
  im.pixel_scale = pixel_scale > 0.0 ? pixel_scale : e.pixel_scale;
  im.rotation = rotation;
  im.flip = flip;
  im.center_x = cx;
  im.center_y = cy;
  im.id = e.name;
  return im;
}

}  // namespace lensforge
