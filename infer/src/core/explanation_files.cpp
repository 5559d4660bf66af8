#include "lensforge/infer/explanation_files.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/io/png.hpp"

namespace lensforge::infer {
namespace fs = std::filesystem;
namespace {

std::string fill_name(const OcclusionOptions& o) {
  switch (o.fill) {
    case OcclusionFill::MEAN: return "mean";
    case OcclusionFill::ZERO: return "zero";
    case OcclusionFill::VALUE: break;
  }
  return fmt::format("{}", o.fill_value);
}

/// FITS strings must be printable ASCII: anything else becomes '?'.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c < 32 || c > 126) c = '?';
  return out;
}

ImageF channel_plane(const std::vector<float>& image, const train::InputShape& shape, int c) {
  const std::int64_t plane = std::int64_t(shape.height) * shape.width;
  return Eigen::Map<const ImageF>(image.data() + c * plane, shape.height, shape.width);
}

/// Nearest-neighbour enlargement by an integer factor so the longer side reaches 256 px (small model
/// inputs would be a few dozen pixels on screen otherwise).
ImageF enlarge(const ImageF& img) {
  const Eigen::Index side = std::max(img.rows(), img.cols());
  const int f = side > 0 && side < 256 ? int((256 + side - 1) / side) : 1;
  if (f == 1) return img;
  ImageF out(img.rows() * f, img.cols() * f);
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    for (Eigen::Index j = 0; j < out.cols(); ++j) out(i, j) = img(i / f, j / f);
  return out;
}

std::string band_name(const std::vector<std::string>& bands, int c) {
  return c < int(bands.size()) ? bands[c] : fmt::format("CHANNEL{}", c);
}

}  // namespace

ImageF channel_mean(const std::vector<float>& image, const train::InputShape& shape) {
  ImageF mean = ImageF::Zero(shape.height, shape.width);
  for (int c = 0; c < shape.channels; ++c) mean += channel_plane(image, shape, c);
  return mean / float(shape.channels);
}

void write_overlay_png(const std::string& path, const ImageF& gray, const ImageF& map) {
  const ImageF big_gray = enlarge(gray), big_map = enlarge(map);
  const ImageF pos = big_map.max(0.f).min(1.f) * 0.6f, neg = (-big_map).max(0.f).min(1.f) * 0.6f;
  const ImageF keep = big_gray * (1.f - pos - neg);
  write_png_rgb(path, keep + pos, keep, keep + neg);
}

std::vector<std::string> write_occlusion_files(const std::string& dir, const std::string& id, const OcclusionMap& map,
                                               const std::vector<float>& image, const train::InputShape& shape,
                                               const std::vector<std::string>& bands, const OcclusionOptions& options) {
  const std::string fits = (fs::path(dir) / "occlusion.fits").string(), png = (fs::path(dir) / "occlusion.png").string();
  std::vector<FitsImageHdu> hdus(2);
  hdus[0].extname = "OCCLUSION";
  hdus[0].data = map.drop;
  hdus[0].cards = {{"BASELOGI", double(map.base_score), "logit of the unoccluded image"},
                   {"PATCH", (long long)options.patch, "[px] occluding patch side"},
                   {"STRIDE", (long long)(options.stride > 0 ? options.stride : options.patch), "[px] patch step"},
                   {"FILL", fill_name(options), "value in the occluded patch"},
                   {"OBJECT", printable(id).substr(0, 68), "input"},
                   {"COMMENT", std::string("pixel = mean logit drop of the patches covering it"), ""}};
  hdus[1].extname = "PATCHES";
  hdus[1].data = map.patch_drop;
  hdus[1].cards = {{"COMMENT", std::string("logit drop per patch position (row, column of positions)"), ""}};
  for (int c = 0; c < shape.channels; ++c) {
    FitsImageHdu h;
    h.extname = band_name(bands, c);
    h.data = channel_plane(image, shape, c);
    h.cards = {{"COMMENT", std::string("prepared model input"), ""}};
    hdus.push_back(std::move(h));
  }
  write_fits(fits, hdus);
  const float scale = map.drop.abs().maxCoeff();
  write_overlay_png(png, asinh_stretch(channel_mean(image, shape)), scale > 0 ? ImageF(map.drop / scale) : map.drop);
  return {fits, png};
}

std::vector<std::string> write_dream_files(const std::string& dir, const std::string& id, const DreamResult& result,
                                           const std::vector<std::string>& bands, const DreamOptions& options) {
  const train::InputShape& s = result.shape;
  const int frames = int(result.frames.size());
  std::vector<std::string> written;
  std::vector<FitsImageHdu> hdus;
  for (int c = 0; c < s.channels; ++c) {
    FitsImageHdu h;
    h.extname = band_name(bands, c);
    h.planes = frames;
    h.data = ImageF(std::int64_t(frames) * s.height, s.width);
    for (int f = 0; f < frames; ++f) h.data.middleRows(std::int64_t(f) * s.height, s.height) = channel_plane(result.frames[f], s, c);
    if (c == 0)
      h.cards = {{"TARGET", std::string(options.target == DreamTarget::LENS ? "lens" : "not-lens"), "direction"},
                 {"STEPSIZE", options.step_size, "step in units of mean |gradient|"},
                 {"JITTER", (long long)options.jitter, "[px] largest random roll"},
                 {"BLUR", options.blur_sigma, "[px] Gaussian sigma between steps"},
                 {"SEED", (long long)options.seed, "jitter and noise seed"},
                 {"OBJECT", printable(id).substr(0, 68), "start image ('noise': none)"},
                 {"COMMENT", std::string("plane k = frame k (0: start, k: after step k)"), ""}};
    hdus.push_back(std::move(h));
  }
  const std::string fits = (fs::path(dir) / "dream.fits").string();
  write_fits(fits, hdus);
  written.push_back(fits);

  const std::string csv = (fs::path(dir) / "dream.csv").string();
  std::ofstream out(csv);
  out << "step,logit\n";
  for (int f = 0; f < frames; ++f) out << f << ',' << fmt::format("{}", result.logits.at(f)) << '\n';
  out.close();
  if (!out) throw IoError(fmt::format("{}: writing failed", csv));
  written.push_back(csv);

  ImageF all(std::int64_t(frames) * s.height, s.width);
  for (int f = 0; f < frames; ++f) all.middleRows(std::int64_t(f) * s.height, s.height) = channel_mean(result.frames[f], s);
  const ImageF stretched = asinh_stretch(all);
  for (int f = 0; f < frames; ++f) {
    const std::string png = (fs::path(dir) / fmt::format("dream_{:04d}.png", f)).string();
    write_png_gray(png, enlarge(stretched.middleRows(std::int64_t(f) * s.height, s.height)));
    written.push_back(png);
  }
  return written;
}

}  // namespace lensforge::infer
