#include "lensforge/sim/app/gallery_command.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <optional>
#include <ostream>
#include <system_error>

#include <fmt/format.h>

#include "command_support.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/io/png.hpp"

namespace lensforge {
namespace {

namespace fs = std::filesystem;
using app::BadInput;

using Rgb = std::array<float, 3>;

void check_output(const std::string& path, bool overwrite) {
  const fs::path p(path);
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext != ".png") throw BadInput(fmt::format("output '{}' must end in .png", path));
  std::error_code ec;
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(folder, ec)) throw BadInput(fmt::format("output folder '{}' does not exist", folder.string()));
  if (fs::is_directory(p, ec)) throw BadInput(fmt::format("output '{}' is a folder", path));
  if (fs::exists(p, ec) && !overwrite)
    throw BadInput(fmt::format("output '{}' exists; use --overwrite to replace it", path));
}

Rgb frame_colour(std::optional<std::int64_t> cls) {
  if (!cls || *cls < 0) return {0.5f, 0.5f, 0.5f};
  return *cls == 0 ? Rgb{1.0f, 0.0f, 0.0f} : Rgb{0.0f, 1.0f, 0.0f};
}

}  // namespace

std::vector<std::string> default_gallery_bands(const std::vector<std::string>& file_bands) {
  if (file_bands.size() < 3) return {file_bands.front()};
  const std::size_t n = file_bands.size();
  return {file_bands[n - 1], file_bands[n - 2], file_bands[n - 3]};
}

int run_gallery_command(const GalleryCommandArgs& args, std::ostream& out, std::ostream& err) {
  // 1. Arguments and file, before anything is written.
  std::optional<DatasetReader> reader;
  std::vector<std::string> bands;
  std::int64_t count = 0;
  std::optional<std::vector<std::int64_t>> classes;
  try {
    if (args.n < 1 || args.n > 1024) throw BadInput(fmt::format("--n {} must be in [1, 1024]", args.n));
    if (args.first < 0) throw BadInput(fmt::format("--first {} must be >= 0", args.first));
    check_output(args.output_path, args.overwrite);
    ReaderOptions o;
    o.allow_incomplete = true;
    reader.emplace(args.path, o);
    const DatasetSchema& s = reader->schema();
    std::vector<std::string> names;
    for (const auto& b : s.bands) names.push_back(b.name);
    bands = args.bands.empty() ? default_gallery_bands(names) : args.bands;
    if (bands.size() != 1 && bands.size() != 3)
      throw BadInput(fmt::format("--bands {}: give one band (grey) or three (R,G,B)", fmt::join(bands, ",")));
    for (const auto& b : bands)
      if (!s.band_index(b))
        throw BadInput(fmt::format("--bands: '{}' has no band '{}' (bands: {})", args.path, b, fmt::join(names, ", ")));
    const BandSchema& b0 = s.bands[*s.band_index(bands[0])];
    for (const auto& b : bands) {
      const BandSchema& bb = s.bands[*s.band_index(b)];
      if (bb.nx != b0.nx || bb.ny != b0.ny)
        throw BadInput(fmt::format("--bands: band '{}' is {} x {} px but '{}' is {} x {} px; a composite needs equal sizes",
                                   bb.name, bb.ny, bb.nx, b0.name, b0.ny, b0.nx));
    }
    if (args.first >= reader->num_images())
      throw BadInput(fmt::format("--first {} is past the last image ('{}' has {} images)", args.first, args.path,
                                 reader->num_images()));
    count = std::min<std::int64_t>(args.n, reader->num_images() - args.first);
    if (auto k = s.label_index("class"); k && s.labels[*k].type == LabelType::INT64)
      classes = std::get<std::vector<std::int64_t>>(reader->read_label("class"));
  } catch (const Error& e) {  // BadInput, IoError opening the file
    return app::report_error(err, e.what(), kExitBadInput);
  }

  // 2. Read, compose and write.
  try {
    const BandSchema& band = reader->schema().bands[*reader->schema().band_index(bands[0])];
    const int h = band.ny, w = band.nx;
    const int frame = std::max(2, std::min(h, w) / 16);
    const int cols = int(std::ceil(std::sqrt(double(count))));
    const int rows = int((count + cols - 1) / cols);
    const int cell_w = w + 2 * frame, cell_h = h + 2 * frame;
    const int width = cols * cell_w + (cols + 1) * frame, height = rows * cell_h + (rows + 1) * frame;
    std::array<ImageF, 3> canvas;
    for (auto& c : canvas) c = ImageF::Zero(height, width);

    std::vector<std::vector<ImageF>> planes;  // [band][tile]
    for (const auto& b : bands) planes.push_back(reader->read_images(b, args.first, count));
    for (std::int64_t t = 0; t < count; ++t) {
      // Cell (grid row gr from the top, column gc); canvas rows count from the bottom.
      const int gr = int(t / cols), gc = int(t % cols);
      const int left = frame + gc * (cell_w + frame);
      const int bottom = height - (frame + gr * (cell_h + frame)) - cell_h;
      const Rgb colour = frame_colour(classes ? std::optional((*classes)[std::size_t(args.first + t)]) : std::nullopt);
      for (int c = 0; c < 3; ++c) canvas[c].block(bottom, left, cell_h, cell_w).setConstant(colour[c]);
      for (int c = 0; c < 3; ++c) {
        const ImageF stretched = asinh_stretch(planes[bands.size() == 3 ? c : 0][std::size_t(t)]);
        canvas[c].block(bottom + frame, left + frame, h, w) = stretched;
      }
    }
    write_png_rgb(args.output_path, canvas[0], canvas[1], canvas[2]);
    out << fmt::format("wrote {}: {} images ({} x {} tiles) from index {}, {}; frame: {}\n", args.output_path, count,
                       rows, cols, args.first,
                       bands.size() == 3 ? fmt::format("R={} G={} B={}", bands[0], bands[1], bands[2])
                                         : fmt::format("grey {}", bands[0]),
                       classes ? "green lens (class >= 1), red non-lens (class 0)" : "grey (no int64 label 'class')");
    return kExitOk;
  } catch (const std::exception& e) {
    return app::report_error(err, e.what(), kExitFailure);
  }
}

}  // namespace lensforge
