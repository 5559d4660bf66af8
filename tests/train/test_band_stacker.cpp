// BandStacker: flux-conserving binning onto coarser grids, interpolation of smooth surface
// brightness onto finer grids, the grid convention, NATIVE stacking and its errors.
#include <gtest/gtest.h>

#include <cmath>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/pixel_grid.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/data/band_stacker.hpp"
#include "lensforge/train/data/batch_loader.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

BandSchema band(const char* name, int n, double scale) {
  return BandSchema{name, "test", n, n, "e-/s", 25.0, scale, 1.0, 0.0};
}

ImageF random_image(int n, std::uint64_t seed) {
  Rng rng(seed, 0);
  ImageF img(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) img(i, j) = float(rng.uniform(0.0, 10.0));
  return img;
}

std::vector<float> stack(const BandStacker& s, const std::vector<ImageF>& images) {
  std::vector<float> out(std::size_t(s.shape().numel()));
  s.stack(images, out.data());
  return out;
}

double sum(const float* x, std::size_t n) {
  double t = 0;
  for (std::size_t k = 0; k < n; ++k) t += x[k];
  return t;
}

}  // namespace

TEST(BandStacker, BinningConservesFlux) {
  // 3" fields at 0.1"/px binned to 0.3"/px (integer ratio) and to 0.3125"/px (10 px = 3.125",
  // covering the whole band): every input pixel's flux lands in the output. Float32 sums of ~1000
  // values of ~5 agree to ~1e-6 relative.
  const std::vector<BandSchema> bands{band("A", 30, 0.1)};
  const std::vector<ImageF> images{random_image(30, 1)};
  const double total = images[0].cast<double>().sum();
  for (double scale : {0.3, 0.3125}) {
    const BandStacker s(StackSpec{{"A"}, BandGrid::FINEST, scale, 10}, bands);
    ASSERT_EQ(s.shape(), (InputShape{1, 10, 10}));
    const auto out = stack(s, images);
    EXPECT_NEAR(sum(out.data(), out.size()) / total, 1.0, 2e-6) << scale;
  }
}

TEST(BandStacker, IntegerBinningIsABlockSum) {
  const std::vector<BandSchema> bands{band("A", 20, 0.1)};
  const std::vector<ImageF> images{random_image(20, 2)};
  const BandStacker s(StackSpec{{"A"}, BandGrid::FINEST, 0.2, 0}, bands);
  ASSERT_EQ(s.shape(), (InputShape{1, 10, 10}));  // default size: the band's 2" field at 0.2"/px
  const auto out = stack(s, images);
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) {
      const float block = images[0].block(2 * i, 2 * j, 2, 2).sum();
      EXPECT_NEAR(out[std::size_t(i * 10 + j)], block, 1e-5f * block);
    }
}

TEST(BandStacker, SameScaleCentresTheGrids) {
  // NISP-like 66 px onto 64 px at the same scale: both grids centred, so output pixel o is input
  // pixel o + 1 exactly (lenstronomy's pixel centres (j - (n - 1) / 2) * scale).
  const std::vector<BandSchema> bands{band("H", 66, 0.3)};
  const std::vector<ImageF> images{random_image(66, 3)};
  const BandStacker s(StackSpec{{"H"}, BandGrid::FINEST, 0.3, 64}, bands);
  const auto out = stack(s, images);
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 64; ++j) ASSERT_EQ(out[std::size_t(i * 64 + j)], images[0](i + 1, j + 1)) << i << " " << j;
}

TEST(BandStacker, InterpolationReproducesSmoothSurfaceBrightness) {
  // A 0.3"/px band (7.2") onto 0.1"/px. Input pixels hold SB(x, y) * 0.09 at their centres; the
  // output must hold SB at its centres * 0.01.
  // (1) A bilinear SB is reproduced exactly (float rounding: 1e-5 relative).
  // (2) A Gaussian SB (sigma 1") within the bound of bilinear interpolation,
  //     |error| <= h^2 / 8 (max|SB_xx| + max|SB_yy|) = 0.09 / 8 * 2 / sigma^2 = 0.0225 of the peak.
  const int n_in = 24, n_out = 72;
  const double s_in = 0.3, s_out = 0.1;
  const PixelGrid in_grid{n_in, n_in, s_in}, out_grid{n_out, n_out, s_out};
  const std::vector<BandSchema> bands{band("Y", n_in, s_in)};
  const BandStacker s(StackSpec{{"Y"}, BandGrid::FINEST, s_out, n_out}, bands);
  auto bilinear = [](double x, double y) { return 2.0 + 0.3 * x - 0.2 * y + 0.05 * x * y; };
  auto gauss = [](double x, double y) { return std::exp(-0.5 * ((x - 0.4) * (x - 0.4) + (y + 0.3) * (y + 0.3))); };
  for (int which = 0; which < 2; ++which) {
    auto sb = [&](double x, double y) { return which == 0 ? bilinear(x, y) : gauss(x, y); };
    ImageF img(n_in, n_in);
    for (int i = 0; i < n_in; ++i)
      for (int j = 0; j < n_in; ++j) img(i, j) = float(sb(in_grid.x(j), in_grid.y(i)) * s_in * s_in);
    const auto out = stack(s, {img});
    double worst = 0;
    for (int i = 0; i < n_out; ++i)
      for (int j = 0; j < n_out; ++j) {
        const double x = out_grid.x(j), y = out_grid.y(i);
        if (std::abs(x) > in_grid.x(n_in - 1) || std::abs(y) > in_grid.y(n_in - 1))
          continue;  // beyond the outer centres
        const double expect = sb(x, y) * s_out * s_out;
        worst = std::max(worst, std::abs(out[std::size_t(i * n_out + j)] - expect) / (s_out * s_out));
      }
    if (which == 0)
      EXPECT_LT(worst, 1e-5 * 4.0);
    else
      EXPECT_LT(worst, 0.0225);
  }
}

TEST(BandStacker, FinestStacksEuclidBandsOnOneGrid) {
  // VIS 200 px at 0.1" and NISP 66 px at 0.3" onto 0.3125"/px: the 20" VIS field is 64 px.
  const std::vector<BandSchema> bands{band("VIS", 200, 0.1), band("Y", 66, 0.3), band("J", 66, 0.3),
                                      band("H", 66, 0.3)};
  EXPECT_EQ(stacked_shape(StackSpec{{"VIS", "Y", "J", "H"}, BandGrid::FINEST, 0.3125, 0}, bands),
            (InputShape{4, 64, 64}));
  // Default scale: the finest band's; default size: its field of view.
  EXPECT_EQ(stacked_shape(StackSpec{{"H", "VIS"}, BandGrid::FINEST, 0.0, 0}, bands), (InputShape{2, 200, 200}));
  const BandStacker s(StackSpec{{"H", "VIS"}, BandGrid::FINEST, 0.0, 0}, bands);
  EXPECT_EQ(s.band_indices(), (std::vector<std::size_t>{3, 0}));
  EXPECT_DOUBLE_EQ(s.pixel_scale(), 0.1);
  // A uniform SB of 1 per arcsec^2 in every band: 0.01 per 0.1" pixel in every channel inside the
  // NISP field (19.8"), 0 in the 1-px border beyond it.
  std::vector<ImageF> images{ImageF::Constant(200, 200, 0.01f), ImageF::Constant(66, 66, 0.09f),
                             ImageF::Constant(66, 66, 0.09f), ImageF::Constant(66, 66, 0.09f)};
  const auto out = stack(s, images);
  EXPECT_NEAR(out[std::size_t(100 * 200 + 100)], 0.01f, 1e-7f);  // H, centre
  EXPECT_NEAR(out[std::size_t(1 * 200 + 1)], 0.01f, 1e-7f);      // H, inside the NISP field
  EXPECT_EQ(out[0], 0.0f);                                       // H, corner beyond it
  EXPECT_NEAR(out[std::size_t(200 * 200)], 0.01f, 1e-7f);        // VIS, corner
}

TEST(BandStacker, NativeCopiesAndCropsSymmetrically) {
  const std::vector<BandSchema> bands{band("A", 12, 0.1), band("C", 12, 0.1)};
  const std::vector<ImageF> images{random_image(12, 4), random_image(12, 5)};
  const BandStacker full(StackSpec{{"C", "A"}, BandGrid::NATIVE, 0.0, 0}, bands);
  ASSERT_EQ(full.shape(), (InputShape{2, 12, 12}));
  auto out = stack(full, images);
  EXPECT_EQ(0, std::memcmp(out.data(), images[1].data(), 144 * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(out.data() + 144, images[0].data(), 144 * sizeof(float)));
  const BandStacker crop(StackSpec{{"A"}, BandGrid::NATIVE, 0.1, 8}, bands);
  out = stack(crop, images);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) ASSERT_EQ(out[std::size_t(i * 8 + j)], images[0](i + 2, j + 2));
  const BandStacker pad(StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 16}, bands);
  out = stack(pad, images);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[std::size_t(2 * 16 + 2)], images[0](0, 0));
}

TEST(BandStacker, ErrorsSayWhatIsWrong) {
  const std::vector<BandSchema> bands{band("VIS", 200, 0.1), band("Y", 66, 0.3)};
  try {
    BandStacker(StackSpec{{"VIS", "Y"}, BandGrid::NATIVE, 0.0, 0}, bands);
    FAIL() << "unequal shapes accepted";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("VIS is 200x200"), std::string::npos) << m;
    EXPECT_NE(m.find("Y is 66x66"), std::string::npos) << m;
  }
  try {
    BandStacker(StackSpec{{"VIS", "K"}, BandGrid::FINEST, 0.0, 0}, bands);
    FAIL() << "missing band accepted";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'K'"), std::string::npos) << m;
    EXPECT_NE(m.find("VIS, Y"), std::string::npos) << m;
  }
  EXPECT_THROW(BandStacker(StackSpec{{"Y"}, BandGrid::NATIVE, 0.0, 63}, bands), ConfigError);  // odd crop
  EXPECT_THROW(BandStacker(StackSpec{{"Y"}, BandGrid::NATIVE, 0.1, 0}, bands), ConfigError);   // scale change
  const BandStacker s(StackSpec{{"Y"}, BandGrid::FINEST, 0.0, 0}, bands);
  std::vector<float> out(std::size_t(s.shape().numel()));
  EXPECT_THROW(s.stack({ImageF::Zero(200, 200), ImageF::Zero(60, 60)}, out.data()), ConfigError);  // wrong shape
}
