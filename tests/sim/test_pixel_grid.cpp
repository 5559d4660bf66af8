#include <gtest/gtest.h>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/pixel_grid.hpp"

using namespace lensforge;

TEST(PixelGrid, CentresFollowLenstronomy) {
  const PixelGrid g{100, 100, 0.1};
  EXPECT_DOUBLE_EQ(g.x(0), -4.95);   // ra_at_xy_0 of the reference images
  EXPECT_DOUBLE_EQ(g.y(99), 4.95);
  EXPECT_NEAR(g.x(49.5), 0.0, 1e-15);  // even size: axis on the shared corner
  const PixelGrid odd{5, 3, 0.2, 1.0, -1.0};
  EXPECT_DOUBLE_EQ(odd.x(2), 1.0);
  EXPECT_DOUBLE_EQ(odd.y(1), -1.0);
}

TEST(PixelGrid, SubPixelCentresMatchLenstronomyOffsets) {
  const PixelGrid g{7, 4, 0.3};
  for (int s : {1, 2, 3, 5}) {
    const PixelGrid f = g.supersampled(s);
    for (int j = 0; j < g.nx; ++j)
      for (int k = 0; k < s; ++k)
        EXPECT_NEAR(f.x(j * s + k), g.x(j) + (-0.5 + (k + 0.5) / s) * g.pixel_scale, 1e-12);
  }
}

TEST(PixelGrid, ValidateNamesTheProblem) {
  EXPECT_EQ(PixelGrid({10, 10, 0.1}).validate(), "");
  EXPECT_NE(PixelGrid({0, 10, 0.1}).validate().find("size"), std::string::npos);
  EXPECT_NE(PixelGrid({10, 10, -0.1}).validate().find("pixel_scale"), std::string::npos);
}

TEST(Image, BlockAverageIsTheMeanOfEachBlock) {
  ImageF fine(4, 6);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) fine(i, j) = float(i * 6 + j);
  const ImageF c = block_average(fine, 2);
  ASSERT_EQ(c.rows(), 2);
  ASSERT_EQ(c.cols(), 3);
  EXPECT_FLOAT_EQ(c(0, 0), (0 + 1 + 6 + 7) / 4.0f);
  EXPECT_FLOAT_EQ(c(1, 2), (16 + 17 + 22 + 23) / 4.0f);
  EXPECT_FLOAT_EQ(fine.sum(), c.sum() * 4);
}
