#include "lensforge/sim/io/dataset_schema.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "../core/range_check.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

using detail::check_closed;
using detail::check_open_closed;

namespace {

bool printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 0x20 && ch <= 0x7e; });
}

std::string check_text(const std::string& key, const std::string& v, bool allow_empty) {
  if (!allow_empty && v.empty()) return fmt::format("{} is empty", key);
  if (!printable_ascii(v)) return fmt::format("{} = '{}': must be printable ASCII", key, v);
  return {};
}

std::string check_band_name(const std::string& key, const std::string& v) {
  const bool chars_ok = std::all_of(v.begin(), v.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '+' || ch == '-' || ch == '.';
  });
  if (v.empty() || v.size() > 64 || !chars_ok || v == "." || v == "..")
    return fmt::format("{} = '{}': must be 1-64 characters from A-Z a-z 0-9 _ + - . (not '.' or '..')", key, v);
  return {};
}

std::string check_label_name(const std::string& key, const std::string& v) {
  const bool chars_ok =
      std::all_of(v.begin(), v.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; });
  if (v.empty() || v.size() > 64 || !chars_ok || std::isdigit(static_cast<unsigned char>(v.front())))
    return fmt::format("{} = '{}': must be 1-64 characters from A-Z a-z 0-9 _, not starting with a digit", key, v);
  return {};
}

std::string first_error(std::initializer_list<std::string> msgs) {
  for (const auto& m : msgs)
    if (!m.empty()) return m;
  return {};
}

}  // namespace

std::string_view label_type_name(LabelType t) {
  switch (t) {
    case LabelType::FLOAT64: return "float64";
    case LabelType::INT64: return "int64";
    case LabelType::STRING: return "string";
  }
  return "unknown";
}

std::string_view dataset_plane_name(DatasetPlane p) {
  switch (p) {
    case DatasetPlane::IMAGE: return "image";
    case DatasetPlane::NOISELESS: return "noiseless";
    case DatasetPlane::SOURCE: return "source";
    case DatasetPlane::SIGMA: return "sigma";
  }
  return "unknown";
}

BandSchema band_schema(const Band& band, std::string unit, double zero_point) {
  BandSchema b;
  b.name = band.name;
  b.survey = band.survey;
  b.nx = band.nx;
  b.ny = band.ny;
  b.unit = std::move(unit);
  b.zero_point = zero_point;
  b.pixel_scale = band.pixel_scale;
  b.exposure_time = band.total_exposure_time();
  b.psf_fwhm = band.psf.fwhm;
  return b;
}

std::string DatasetSchema::validate() const {
  if (bands.empty()) return "bands is empty: a data set needs at least one band";
  std::set<std::string> names;
  for (std::size_t k = 0; k < bands.size(); ++k) {
    const BandSchema& b = bands[k];
    const std::string p = fmt::format("bands[{}].", k);
    if (auto m = first_error({
            check_band_name(p + "name", b.name),
            check_text(p + "survey", b.survey, true),
            check_closed(p + "nx", b.nx, 1, 100000, "px"),
            check_closed(p + "ny", b.ny, 1, 100000, "px"),
            check_text(p + "unit", b.unit, false),
            check_closed(p + "zero_point", b.zero_point, -100.0, 100.0, "mag"),
            check_open_closed(p + "pixel_scale", b.pixel_scale, 0.0, 10.0, "arcsec/px"),
            check_closed(p + "exposure_time", b.exposure_time, 0.0, 1e12, "s"),
            check_closed(p + "psf_fwhm", b.psf_fwhm, 0.0, 10.0, "arcsec"),
        });
        !m.empty())
      return m;
    if (!names.insert(b.name).second) return fmt::format("{}name = '{}': band names must be unique", p, b.name);
  }
  if (kappa) {
    if (auto m = first_error({
            check_closed("kappa.nx", kappa->nx, 1, 100000, "px"),
            check_closed("kappa.ny", kappa->ny, 1, 100000, "px"),
            check_open_closed("kappa.pixel_scale", kappa->pixel_scale, 0.0, 10.0, "arcsec/px"),
        });
        !m.empty())
      return m;
  }
  names.clear();
  for (std::size_t k = 0; k < labels.size(); ++k) {
    const LabelColumn& c = labels[k];
    const std::string p = fmt::format("labels[{}].", k);
    if (auto m = first_error({
            check_label_name(p + "name", c.name),
            check_text(p + "unit", c.unit, true),
            check_text(p + "description", c.description, true),
            c.type == LabelType::STRING ? check_closed(p + "string_length", c.string_length, 1, 1024, "bytes")
                                        : std::string(),
        });
        !m.empty())
      return m;
    if (!names.insert(c.name).second) return fmt::format("{}name = '{}': label names must be unique", p, c.name);
  }
  return {};
}

std::optional<std::size_t> DatasetSchema::band_index(std::string_view name) const {
  for (std::size_t k = 0; k < bands.size(); ++k)
    if (bands[k].name == name) return k;
  return std::nullopt;
}

std::optional<std::size_t> DatasetSchema::label_index(std::string_view name) const {
  for (std::size_t k = 0; k < labels.size(); ++k)
    if (labels[k].name == name) return k;
  return std::nullopt;
}

bool DatasetSchema::has_plane(DatasetPlane plane) const {
  switch (plane) {
    case DatasetPlane::IMAGE: return true;
    case DatasetPlane::NOISELESS: return planes.noiseless;
    case DatasetPlane::SOURCE: return planes.source;
    case DatasetPlane::SIGMA: return planes.sigma;
  }
  return false;
}

namespace {

template <class T>
std::string differ(const std::string& field, const T& file, const T& expected) {
  if (file == expected) return {};
  if constexpr (std::is_same_v<T, std::string>)
    return fmt::format("{}: file has '{}', expected '{}'", field, file, expected);
  else
    return fmt::format("{}: file has {}, expected {}", field, file, expected);
}

std::string names_of(const DatasetSchema& s, bool bands) {
  std::vector<std::string> n;
  if (bands)
    for (const auto& b : s.bands) n.push_back(b.name);
  else
    for (const auto& c : s.labels) n.push_back(c.name);
  return fmt::format("[{}]", fmt::join(n, ", "));
}

}  // namespace

std::string schema_difference(const DatasetSchema& f, const DatasetSchema& e) {
  if (f.bands.size() != e.bands.size()) return differ("bands", names_of(f, true), names_of(e, true));
  for (std::size_t k = 0; k < f.bands.size(); ++k) {
    const BandSchema &a = f.bands[k], &b = e.bands[k];
    const std::string p = fmt::format("band {} ('{}') ", k, b.name);
    if (auto m = first_error({
            differ(p + "name", a.name, b.name),
            differ(p + "survey", a.survey, b.survey),
            differ(p + "nx", a.nx, b.nx),
            differ(p + "ny", a.ny, b.ny),
            differ(p + "unit", a.unit, b.unit),
            differ(p + "zero_point", a.zero_point, b.zero_point),
            differ(p + "pixel_scale", a.pixel_scale, b.pixel_scale),
            differ(p + "exposure_time", a.exposure_time, b.exposure_time),
            differ(p + "psf_fwhm", a.psf_fwhm, b.psf_fwhm),
        });
        !m.empty())
      return m;
  }
  if (auto m = first_error({
          differ("plane noiseless", f.planes.noiseless, e.planes.noiseless),
          differ("plane source", f.planes.source, e.planes.source),
          differ("plane sigma", f.planes.sigma, e.planes.sigma),
          differ("plane mask", f.planes.mask, e.planes.mask),
          differ("plane kappa", f.kappa.has_value(), e.kappa.has_value()),
      });
      !m.empty())
    return m;
  if (f.kappa && e.kappa)
    if (auto m = first_error({
            differ("kappa nx", f.kappa->nx, e.kappa->nx),
            differ("kappa ny", f.kappa->ny, e.kappa->ny),
            differ("kappa pixel_scale", f.kappa->pixel_scale, e.kappa->pixel_scale),
        });
        !m.empty())
      return m;
  if (f.labels.size() != e.labels.size()) return differ("labels", names_of(f, false), names_of(e, false));
  for (std::size_t k = 0; k < f.labels.size(); ++k) {
    const LabelColumn &a = f.labels[k], &b = e.labels[k];
    const std::string p = fmt::format("label {} ('{}') ", k, b.name);
    if (auto m = first_error({
            differ(p + "name", a.name, b.name),
            differ(p + "type", std::string(label_type_name(a.type)), std::string(label_type_name(b.type))),
            differ(p + "unit", a.unit, b.unit),
            differ(p + "description", a.description, b.description),
            a.type == LabelType::STRING ? differ(p + "string_length", a.string_length, b.string_length)
                                        : std::string(),
        });
        !m.empty())
      return m;
  }
  return {};
}

}  // namespace lensforge
