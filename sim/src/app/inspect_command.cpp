#include "lensforge/sim/app/inspect_command.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "command_support.hpp"

namespace lensforge {
namespace {

std::string numeric_summary(const std::vector<double>& v) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  std::size_t finite = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      sum += x;
      ++finite;
    }
  std::string s = finite == 0 ? std::string("no finite values")
                              : fmt::format("min {:.6g}, mean {:.6g}, max {:.6g}", lo, sum / double(finite), hi);
  if (finite != v.size()) s += fmt::format("; {} non-finite", v.size() - finite);
  return s;
}

template <class Key>
std::string counts(const std::vector<Key>& values) {
  std::map<Key, std::size_t> n;
  for (const Key& v : values) ++n[v];
  std::vector<std::string> parts;
  for (const auto& [k, c] : n) parts.push_back(fmt::format("{}: {}", k, c));
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

void write_dataset_summary(const DatasetReader& r, std::ostream& out) {
  const DatasetSchema& s = r.schema();
  out << fmt::format("file: {}\n", r.path());
  out << fmt::format("schema_version: {}\n", r.schema_version());
  out << fmt::format("software_version: {}\n", r.software_version());
  out << fmt::format("created: {}\n", r.created());
  out << fmt::format("seed: {}\n", r.run().seed);
  out << fmt::format("images: {} of {} ({})\n", r.num_images(), r.run().num_images,
                     r.complete() ? "complete" : "incomplete: the run was interrupted; resume it to finish");
  if (!r.shard_files().empty())
    out << fmt::format("virtual: {} shards ({})\n", r.shard_files().size(), fmt::join(r.shard_files(), ", "));
  const DatasetFilters f = r.filters();
  out << fmt::format("compression: {}{}\n", r.shard_files().empty() ? "" : "of the shards: ",
                     f.gzip_level == 0 ? std::string("none")
                                       : fmt::format("gzip {}{}", f.gzip_level, f.shuffle ? " + shuffle" : ""));
  out << fmt::format("bands: {}\n", s.bands.size());
  for (const BandSchema& b : s.bands)
    out << fmt::format(
        "  {}: {} x {} px (rows x columns), unit '{}', zero_point {}, pixel_scale {} arcsec/px, exposure_time {} s, "
        "psf_fwhm {} arcsec, survey '{}'\n",
        b.name, b.ny, b.nx, b.unit, b.zero_point, b.pixel_scale, b.exposure_time, b.psf_fwhm, b.survey);
  std::vector<std::string> planes = {"image"};
  for (DatasetPlane p : {DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA})
    if (s.has_plane(p)) planes.emplace_back(dataset_plane_name(p));
  if (s.planes.mask) planes.emplace_back("mask");
  if (s.kappa)
    planes.push_back(fmt::format("kappa ({} x {} px, {} arcsec/px)", s.kappa->ny, s.kappa->nx, s.kappa->pixel_scale));
  out << fmt::format("planes: {}\n", fmt::join(planes, ", "));

  out << fmt::format("labels: {}\n", s.labels.size());
  std::optional<std::string> class_counts, subtype_counts;
  for (const LabelColumn& col : s.labels) {
    const LabelData data = r.read_label(col.name);
    std::string line = fmt::format("  {} ({}{}{})", col.name, label_type_name(col.type),
                                   col.type == LabelType::STRING ? fmt::format(", {} bytes", col.string_length) : "",
                                   col.unit.empty() ? "" : ", " + col.unit);
    if (const auto* d = std::get_if<std::vector<double>>(&data)) {
      line += ": " + numeric_summary(*d);
    } else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&data)) {
      line += ": " + numeric_summary(std::vector<double>(i->begin(), i->end()));
      if (col.name == "class") class_counts = counts(*i);
    } else if (const auto* str = std::get_if<std::vector<std::string>>(&data)) {
      if (col.name == "subtype") subtype_counts = counts(*str);
    }
    if (!col.description.empty()) line += " -- " + col.description;
    out << line << "\n";
  }
  if (class_counts) out << "counts by class: " << *class_counts << "\n";
  if (subtype_counts) out << "counts by subtype: " << *subtype_counts << "\n";
}

int run_inspect_command(const InspectCommandArgs& args, std::ostream& out, std::ostream& err) {
  std::optional<DatasetReader> reader;
  try {
    ReaderOptions o;
    o.allow_incomplete = true;
    reader.emplace(args.path, o);
  } catch (const Error& e) {
    return app::report_error(err, e.what(), kExitBadInput);
  }
  try {
    write_dataset_summary(*reader, out);
    return kExitOk;
  } catch (const IoError& e) {  // a label column that cannot be read: a damaged file
    return app::report_error(err, e.what(), kExitBadInput);
  }
}

}  // namespace lensforge
