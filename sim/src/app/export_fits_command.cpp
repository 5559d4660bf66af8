#include "lensforge/sim/app/export_fits_command.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <system_error>
#include <variant>

#include <fmt/format.h>

#include "command_support.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/io/fits.hpp"

namespace lensforge {
namespace {

namespace fs = std::filesystem;
using app::BadInput;

std::int64_t parse_index(const std::string& item, const std::string& text) {
  std::int64_t v = -1;
  const char* end = item.data() + item.size();
  const auto [p, ec] = std::from_chars(item.data(), end, v);
  if (item.empty() || ec != std::errc() || p != end || v < 0)
    throw ConfigError(fmt::format("--indices '{}': '{}' is not an index (a whole number >= 0)", text, item));
  return v;
}

/// "train.h5.partial" -> "train"
std::string dataset_stem(const std::string& path) {
  fs::path p = fs::path(path).filename();
  if (p.extension() == ".partial") p = p.stem();
  if (p.extension() == ".h5" || p.extension() == ".hdf5") p = p.stem();
  return p.string();
}

std::string card_comment(const LabelColumn& col) {
  if (col.unit.empty()) return col.description;
  return col.description.empty() ? col.unit : fmt::format("[{}] {}", col.unit, col.description);
}

}  // namespace

std::vector<std::int64_t> parse_index_list(const std::string& text, std::int64_t num_images) {
  std::vector<std::int64_t> out;
  std::set<std::int64_t> seen;
  auto check = [&](std::int64_t i, const std::string& item) {
    if (i >= num_images)
      throw ConfigError(fmt::format("--indices '{}': {} is past the last image (the file has {} images, 0 to {})", text,
                                    item, num_images, num_images - 1));
  };
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const std::size_t dash = item.find('-');
    std::int64_t lo = 0, hi = 0;
    if (dash == std::string::npos) {
      lo = hi = parse_index(item, text);
    } else {
      lo = parse_index(item.substr(0, dash), text);
      hi = parse_index(item.substr(dash + 1), text);
      if (hi < lo) throw ConfigError(fmt::format("--indices '{}': range '{}' runs backwards", text, item));
    }
    check(hi, item);
    for (std::int64_t i = lo; i <= hi; ++i)
      if (seen.insert(i).second) out.push_back(i);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

int run_export_fits_command(const ExportFitsCommandArgs& args, std::ostream& out, std::ostream& err) {
  // 1. Arguments, file and outputs, before anything is written.
  std::optional<DatasetReader> reader;
  std::vector<std::int64_t> indices;
  std::vector<std::string> outputs;
  bool make_dir = false;
  try {
    ReaderOptions o;
    o.allow_incomplete = true;
    reader.emplace(args.path, o);
    indices = parse_index_list(args.indices, reader->num_images());
    std::error_code ec;
    const fs::path dir(args.output_dir);
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
      throw BadInput(fmt::format("-o '{}' is not a folder", args.output_dir));
    if (!fs::exists(dir, ec)) {
      const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
      if (!fs::is_directory(parent, ec))
        throw BadInput(fmt::format("-o '{}': its parent folder '{}' does not exist", args.output_dir, parent.string()));
      make_dir = true;
    }
    const int width = int(fmt::format("{}", std::max<std::int64_t>(reader->run().num_images - 1, 0)).size());
    const std::string stem = dataset_stem(args.path);
    for (std::int64_t i : indices) {
      outputs.push_back((dir / fmt::format("{}_{:0{}}.fits", stem, i, width)).string());
      if (!args.overwrite && fs::exists(outputs.back(), ec))
        throw BadInput(fmt::format("output '{}' exists; use --overwrite to replace it", outputs.back()));
    }
  } catch (const Error& e) {  // BadInput, ConfigError from the indices, IoError opening the file
    return app::report_error(err, e.what(), kExitBadInput);
  }

  // 2. Read and write, removing this run's files on failure.
  std::vector<std::string> written;
  try {
    if (make_dir) fs::create_directory(args.output_dir);
    const DatasetSchema& s = reader->schema();
    std::vector<LabelData> labels;
    for (const LabelColumn& col : s.labels) labels.push_back(reader->read_label(col.name));
    const std::string file_name = fs::path(args.path).filename().string();
    // FITS integers are signed 64-bit: a seed beyond that range is written as its decimal text.
    const std::uint64_t seed = reader->run().seed;
    const FitsCard seed_card =
        seed <= std::uint64_t(std::numeric_limits<long long>::max())
            ? FitsCard{"LFSEED", static_cast<long long>(seed), "run seed"}
            : FitsCard{"LFSEED", std::to_string(seed), "run seed (unsigned 64-bit)"};
    for (std::size_t n = 0; n < indices.size(); ++n) {
      const std::int64_t i = indices[n];
      std::vector<FitsCard> label_cards;
      for (std::size_t k = 0; k < s.labels.size(); ++k) {
        const LabelColumn& col = s.labels[k];
        const std::string comment = card_comment(col);
        if (const auto* d = std::get_if<std::vector<double>>(&labels[k])) {
          const double v = (*d)[std::size_t(i)];
          if (std::isfinite(v))
            label_cards.push_back({col.name, v, comment});
          else
            label_cards.push_back({"COMMENT", fmt::format("{} = {}", col.name, v), ""});
        } else if (const auto* v = std::get_if<std::vector<std::int64_t>>(&labels[k])) {
          label_cards.push_back({col.name, static_cast<long long>((*v)[std::size_t(i)]), comment});
        } else {
          label_cards.push_back({col.name, std::get<std::vector<std::string>>(labels[k])[std::size_t(i)], comment});
        }
      }
      std::vector<FitsImageHdu> hdus;
      for (const BandSchema& b : s.bands) {
        FitsImageHdu h{b.name, reader->read_image(b.name, i), {}, FitsWcs{0.0, 0.0, b.pixel_scale}};
        h.cards = {
            {"BAND", b.name, "band"},
            {"SURVEY", b.survey, "survey"},
            {"BUNIT", b.unit, "pixel unit"},
            {"MAGZP", b.zero_point, "AB magnitude of a source totalling 1 BUNIT"},
            {"PIXSCALE", b.pixel_scale, "arcsec per pixel"},
            {"EXPTIME", b.exposure_time, "s, total exposure time"},
            {"PSFFWHM", b.psf_fwhm, "arcsec, PSF FWHM (0: none)"},
            {"LFINDEX", static_cast<long long>(i), "image index in the data set"},
            seed_card,
            {"LFVERSN", reader->software_version(), "lensforge version of the data set"},
            {"LFFILE", file_name, "data set file"},
        };
        h.cards.insert(h.cards.end(), label_cards.begin(), label_cards.end());
        hdus.push_back(std::move(h));
      }
      write_fits(outputs[n], hdus);
      written.push_back(outputs[n]);
      out << fmt::format("wrote {} (image {}, {} HDUs)\n", outputs[n], i, hdus.size());
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::error_code ec;
    for (const auto& f : written) fs::remove(f, ec);
    if (make_dir) fs::remove(args.output_dir, ec);
    return app::report_error(err, e.what(), kExitFailure);
  }
}

}  // namespace lensforge
