#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/png.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

struct Png {
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // rows top to bottom
};

/// Reads a PNG back with libpng in its stored format (gray or RGB, 8 bit).
Png read_png(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) throw std::runtime_error(img.message);
  Png p{img.width, img.height, int(PNG_IMAGE_SAMPLE_CHANNELS(img.format)), {}};
  p.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, p.pixels.data(), 0, nullptr)) throw std::runtime_error(img.message);
  return p;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("lensforge_png_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(AsinhStretch, MapsPercentilesToZeroAndOneThroughAsinh) {
  ImageF img(10, 10);  // values 0..99
  for (int k = 0; k < 100; ++k) img.data()[k] = float(k);
  const ImageF v = asinh_stretch(img, 1.0, 99.0, 0.1);
  // numpy.percentile(arange(100), [1, 99]) = 0.99, 98.01 (linear interpolation).
  const double lo = 0.99, hi = 98.01, soft = 0.1 * (hi - lo);
  EXPECT_EQ(v(0, 0), 0.0f);  // below lo: clipped
  EXPECT_EQ(v(9, 9), 1.0f);  // above hi: clipped
  for (int k : {1, 5, 37, 98})
    EXPECT_NEAR(v.data()[k], std::asinh((k - lo) / soft) / std::asinh((hi - lo) / soft), 1e-6) << k;
  for (int k = 1; k < 100; ++k) EXPECT_GE(v.data()[k], v.data()[k - 1]);
}

TEST(AsinhStretch, IgnoresNonFinitePixelsAndFlatImages) {
  ImageF img = ImageF::Constant(4, 4, 2.0f);
  EXPECT_EQ(asinh_stretch(img).abs().maxCoeff(), 0.0f);  // nothing to show
  img(0, 0) = 10.0f;
  img(1, 1) = std::numeric_limits<float>::quiet_NaN();
  img(2, 2) = std::numeric_limits<float>::infinity();
  const ImageF v = asinh_stretch(img, 0.0, 100.0);
  EXPECT_EQ(v(0, 0), 1.0f);  // the finite maximum
  EXPECT_EQ(v(1, 1), 0.0f);
  EXPECT_EQ(v(2, 2), 0.0f);
  EXPECT_EQ(v(3, 3), 0.0f);
  EXPECT_THROW(asinh_stretch(img, 50.0, 50.0), ConfigError);
  EXPECT_THROW(asinh_stretch(img, 1.0, 101.0), ConfigError);
  EXPECT_THROW(asinh_stretch(img, 1.0, 99.0, 0.0), ConfigError);
}

TEST(Png, GrayHasRowZeroAtTheBottomAndRoundsTo8Bits) {
  const fs::path d = temp_dir("gray");
  ImageF img(2, 3);
  img << 0.0f, 0.5f, 1.0f,                                      // row 0: bottom of the picture
      -0.2f, 1.7f, std::numeric_limits<float>::quiet_NaN();     // row 1: top; clipped, NaN -> 0
  write_png_gray((d / "g.png").string(), img);
  const Png p = read_png((d / "g.png").string());
  EXPECT_EQ(p.width, 3u);
  EXPECT_EQ(p.height, 2u);
  EXPECT_EQ(p.channels, 1);
  EXPECT_EQ(p.pixels, (std::vector<std::uint8_t>{0, 255, 0, 0, 128, 255}));
  EXPECT_EQ(std::distance(fs::directory_iterator(d), fs::directory_iterator()), 1);  // no temporary left
  fs::remove_all(d);
}

TEST(Png, RgbInterleavesThePlanes) {
  const fs::path d = temp_dir("rgb");
  ImageF r = ImageF::Zero(2, 2), g = ImageF::Zero(2, 2), b = ImageF::Zero(2, 2);
  r(0, 0) = 1.0f;  // bottom-left red
  g(1, 1) = 1.0f;  // top-right green
  b(0, 1) = 0.2f;  // bottom-right: 51
  write_png_rgb((d / "c.png").string(), r, g, b);
  const Png p = read_png((d / "c.png").string());
  ASSERT_EQ(p.channels, 3);
  EXPECT_EQ(p.pixels, (std::vector<std::uint8_t>{0, 0, 0, 0, 255, 0,     // top row
                                                  255, 0, 0, 0, 0, 51}));  // bottom row
  EXPECT_THROW(write_png_rgb((d / "bad.png").string(), r, g, ImageF::Zero(2, 3)), ConfigError);
  EXPECT_FALSE(fs::exists(d / "bad.png"));
  fs::remove_all(d);
}

TEST(Png, UnwritableFolderIsAnIoError) {
  EXPECT_THROW(write_png_gray("/nonexistent/folder/x.png", ImageF::Zero(2, 2)), IoError);
}

TEST(Png, InMemoryEncodingHasTheFileBytes) {
  const fs::path d = temp_dir("memory");
  ImageF img(3, 2);
  img << 0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.1f;
  write_png_gray((d / "g.png").string(), img);
  const ImageF r = img, g = img * 0.5f, b = 1.0f - img;
  write_png_rgb((d / "c.png").string(), r, g, b);
  auto file_bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(encode_png_gray(img), file_bytes(d / "g.png"));
  EXPECT_EQ(encode_png_rgb(r, g, b), file_bytes(d / "c.png"));
  EXPECT_THROW(encode_png_gray(ImageF(0, 3)), ConfigError);
  EXPECT_THROW(encode_png_rgb(r, g, ImageF::Zero(1, 1)), ConfigError);
  fs::remove_all(d);
}
