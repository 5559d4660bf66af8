#include "lensforge/sim/io/png.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <png.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {
namespace {

/// Linear-interpolated percentile (numpy's default) of the values, p in [0, 100]; reorders them.
double percentile(std::vector<float>& v, double p) {
  const double pos = p / 100.0 * double(v.size() - 1);
  const auto k = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  const double lo = v[k];
  if (k + 1 >= v.size()) return lo;
  const double hi = *std::min_element(v.begin() + std::ptrdiff_t(k) + 1, v.end());
  return lo + (pos - double(k)) * (hi - lo);
}

std::uint8_t to_byte(float v) {
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 1.0f) return 255;
  return static_cast<std::uint8_t>(std::lround(v * 255.0f));
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// png_image whose libpng state is released however we leave the scope.
struct PngImage {
  png_image img{};
  PngImage() { img.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&img); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
};

/// A new file next to `path` (same folder, so rename() is atomic), removed unless committed.
class TempFile {
 public:
  explicit TempFile(const std::string& path) : target_(path) {
    std::random_device rd;
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
      name_ = fmt::format("{}.tmp{:08x}", path, rd());
      fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) throw IoError(fmt::format("cannot create '{}': {}", name_, std::strerror(errno)));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(name_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  /// Hands the descriptor over to a stdio stream.
  FilePtr open_stream() {
    std::FILE* f = ::fdopen(fd_, "wb");
    if (!f) throw IoError(fmt::format("cannot open '{}' for writing: {}", name_, std::strerror(errno)));
    fd_ = -1;
    return FilePtr(f);
  }

  /// Closes the stream (reporting write errors) and renames the file to its target.
  void commit(FilePtr stream) {
    std::FILE* f = stream.release();
    if (std::fflush(f) != 0) {
      const int err = errno;
      std::fclose(f);
      throw IoError(fmt::format("cannot write '{}': {}", target_, std::strerror(err)));
    }
    if (std::fclose(f) != 0) throw IoError(fmt::format("cannot write '{}': {}", target_, std::strerror(errno)));
    if (std::rename(name_.c_str(), target_.c_str()) != 0)
      throw IoError(fmt::format("cannot rename '{}' to '{}': {}", name_, target_, std::strerror(errno)));
    committed_ = true;
  }

 private:
  std::string target_, name_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Writes 8-bit pixels (rows top to bottom, `channels` interleaved) as a PNG via a temporary file.
void write_png(const std::string& path, const std::vector<std::uint8_t>& pixels, Eigen::Index width,
               Eigen::Index height, bool rgb) {
  TempFile tmp(path);
  FilePtr stream = tmp.open_stream();
  PngImage png;
  png.img.width = static_cast<png_uint_32>(width);
  png.img.height = static_cast<png_uint_32>(height);
  png.img.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (!png_image_write_to_stdio(&png.img, stream.get(), 0, pixels.data(), 0, nullptr))
    throw IoError(fmt::format("cannot write PNG '{}': libpng: {}", path, png.img.message));
  tmp.commit(std::move(stream));
}

void check_size(const std::string& path, const ImageF& img) {
  if (img.rows() < 1 || img.cols() < 1 || img.rows() > 1000000 || img.cols() > 1000000)
    throw ConfigError(fmt::format("cannot write PNG '{}': image size {}x{} must be between 1x1 and 1000000x1000000",
                                  path, img.cols(), img.rows()));
}

void check_planes(const std::string& path, const ImageF& r, const ImageF& g, const ImageF& b) {
  check_size(path, r);
  if (g.rows() != r.rows() || g.cols() != r.cols() || b.rows() != r.rows() || b.cols() != r.cols())
    throw ConfigError(fmt::format("cannot write PNG '{}': the r, g, b planes differ in size ({}x{}, {}x{}, {}x{})",
                                  path, r.cols(), r.rows(), g.cols(), g.rows(), b.cols(), b.rows()));
}

/// 8-bit grey pixels, PNG rows from the top (image row ny-1 first).
std::vector<std::uint8_t> gray_pixels(const ImageF& unit_image) {
  const Eigen::Index ny = unit_image.rows(), nx = unit_image.cols();
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(nx * ny));
  for (Eigen::Index r = 0; r < ny; ++r)  // PNG row r (from the top) = image row ny-1-r
    for (Eigen::Index j = 0; j < nx; ++j) pixels[std::size_t(r * nx + j)] = to_byte(unit_image(ny - 1 - r, j));
  return pixels;
}

/// 8-bit interleaved RGB pixels, PNG rows from the top.
std::vector<std::uint8_t> rgb_pixels(const ImageF& r, const ImageF& g, const ImageF& b) {
  const Eigen::Index ny = r.rows(), nx = r.cols();
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(3 * nx * ny));
  for (Eigen::Index row = 0; row < ny; ++row)
    for (Eigen::Index j = 0; j < nx; ++j) {
      const Eigen::Index i = ny - 1 - row;
      std::uint8_t* p = &pixels[std::size_t(3 * (row * nx + j))];
      p[0] = to_byte(r(i, j));
      p[1] = to_byte(g(i, j));
      p[2] = to_byte(b(i, j));
    }
  return pixels;
}

/// The PNG file's bytes for 8-bit pixels (rows top to bottom, `channels` interleaved).
std::vector<std::uint8_t> encode_png(const std::vector<std::uint8_t>& pixels, Eigen::Index width, Eigen::Index height,
                                     bool rgb) {
  PngImage png;
  png.img.width = static_cast<png_uint_32>(width);
  png.img.height = static_cast<png_uint_32>(height);
  png.img.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;  // first call: the size needed
  if (!png_image_write_to_memory(&png.img, nullptr, &size, 0, pixels.data(), 0, nullptr))
    throw IoError(fmt::format("cannot encode PNG: libpng: {}", png.img.message));
  std::vector<std::uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png.img, bytes.data(), &size, 0, pixels.data(), 0, nullptr))
    throw IoError(fmt::format("cannot encode PNG: libpng: {}", png.img.message));
  bytes.resize(size);
  return bytes;
}

}  // namespace

ImageF asinh_stretch(const ImageF& img, double lo_percentile, double hi_percentile, double softening) {
  if (!(lo_percentile >= 0.0 && lo_percentile < hi_percentile && hi_percentile <= 100.0))
    throw ConfigError(fmt::format("asinh_stretch: percentiles lo = {}, hi = {} must satisfy 0 <= lo < hi <= 100",
                                  lo_percentile, hi_percentile));
  if (!(softening > 0.0 && std::isfinite(softening)))
    throw ConfigError(fmt::format("asinh_stretch: softening = {} must be > 0", softening));

  std::vector<float> finite;
  finite.reserve(static_cast<std::size_t>(img.size()));
  for (Eigen::Index k = 0; k < img.size(); ++k)
    if (std::isfinite(img.data()[k])) finite.push_back(img.data()[k]);
  ImageF out = ImageF::Zero(img.rows(), img.cols());
  if (finite.empty()) return out;
  const double lo = percentile(finite, lo_percentile);
  const double hi = percentile(finite, hi_percentile);
  if (!(hi > lo)) return out;  // flat image: nothing to show

  const double soft = softening * (hi - lo);
  const double norm = 1.0 / std::asinh((hi - lo) / soft);
  for (Eigen::Index k = 0; k < img.size(); ++k) {
    const float x = img.data()[k];
    if (!std::isfinite(x)) continue;
    const double v = std::asinh((double(x) - lo) / soft) * norm;
    out.data()[k] = static_cast<float>(std::clamp(v, 0.0, 1.0));
  }
  return out;
}

void write_png_gray(const std::string& path, const ImageF& unit_image) {
  check_size(path, unit_image);
  write_png(path, gray_pixels(unit_image), unit_image.cols(), unit_image.rows(), false);
}

void write_png_rgb(const std::string& path, const ImageF& r, const ImageF& g, const ImageF& b) {
  check_planes(path, r, g, b);
  write_png(path, rgb_pixels(r, g, b), r.cols(), r.rows(), true);
}

std::vector<std::uint8_t> encode_png_gray(const ImageF& unit_image) {
  check_size("(in memory)", unit_image);
  return encode_png(gray_pixels(unit_image), unit_image.cols(), unit_image.rows(), false);
}

std::vector<std::uint8_t> encode_png_rgb(const ImageF& r, const ImageF& g, const ImageF& b) {
  check_planes("(in memory)", r, g, b);
  return encode_png(rgb_pixels(r, g, b), r.cols(), r.rows(), true);
}

}  // namespace lensforge
