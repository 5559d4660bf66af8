// Occlusion maps over toy scorers whose answer depends on known pixels only.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "lensforge/infer/occlusion.hpp"
#include "lensforge/sim/core/error.hpp"

using namespace lensforge;
using namespace lensforge::infer;

namespace {

/// Scores each image by the sum of channel 0 over rows [y0, y0 + h), columns [x0, x0 + w): a model
/// that sees only that region. Counts the images it scored.
struct RegionScorer {
  train::InputShape shape;
  int y0, x0, h, w;
  std::int64_t* scored;
  std::vector<float> operator()(const std::vector<float>& images, std::int64_t n) const {
    std::vector<float> s(n, 0.f);
    for (std::int64_t b = 0; b < n; ++b)
      for (int y = y0; y < y0 + h; ++y)
        for (int x = x0; x < x0 + w; ++x) s[b] += images[b * shape.numel() + std::int64_t(y) * shape.width + x];
    *scored += n;
    return s;
  }
};

}  // namespace

TEST(Occlusion, PositionsCoverTheImageAndEndAtTheBorder) {
  EXPECT_EQ(occlusion_positions(16, 4, 0), (std::vector<int>{0, 4, 8, 12}));
  EXPECT_EQ(occlusion_positions(10, 4, 3), (std::vector<int>{0, 3, 6}));      // 6 + 4 = 10: ends at the border
  EXPECT_EQ(occlusion_positions(11, 4, 3), (std::vector<int>{0, 3, 6, 7}));   // last moved in to 11 - 4
  EXPECT_EQ(occlusion_positions(4, 4, 1), (std::vector<int>{0}));
}

TEST(Occlusion, TilesLightUpExactlyTheRegionTheModelSees) {
  // Two channels of ones; the scorer sees the 4x4 tile at rows 8-11, columns 4-7 of channel 0.
  // With zero fill and 4x4 tiles, hiding that tile drops the score by its 16 ones; hiding any other
  // tile changes nothing, so the map is exactly 16 there and exactly 0 elsewhere.
  const train::InputShape shape{2, 16, 16};
  std::int64_t scored = 0;
  const RegionScorer scorer{shape, 8, 4, 4, 4, &scored};
  const std::vector<float> image(shape.numel(), 1.f);
  OcclusionOptions o;
  o.patch = 4;
  o.fill = OcclusionFill::ZERO;
  o.batch_size = 5;  // 16 positions in batches of 5, 5, 5, 1
  const OcclusionMap m = occlusion_map(image, shape, scorer, o);
  EXPECT_EQ(m.base_score, 16.f);
  EXPECT_EQ(scored, 1 + 16);
  ASSERT_EQ(m.drop.rows(), 16);
  ASSERT_EQ(m.drop.cols(), 16);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const bool inside = y >= 8 && y < 12 && x >= 4 && x < 8;
      EXPECT_EQ(m.drop(y, x), inside ? 16.f : 0.f) << y << "," << x;
    }
  EXPECT_EQ(m.patch_drop(2, 1), 16.f);
  EXPECT_EQ(m.patch_drop.sum(), 16.f);
}

TEST(Occlusion, OverlappingPatchesPeakOnTheRegionAndVanishFarFromIt) {
  // Stride 1: a 3x3 patch at (py, px) hides a 2x2 region at (6, 9) in proportion to their overlap, so
  // the drop is largest on the region and zero at pixels no patch covering them can reach the region
  // from (more than patch - 1 = 2 px away along an axis).
  const train::InputShape shape{1, 12, 14};
  std::int64_t scored = 0;
  const RegionScorer scorer{shape, 6, 9, 2, 2, &scored};
  std::vector<float> image(shape.numel());
  for (std::size_t k = 0; k < image.size(); ++k) image[k] = 1.f + float(k % 7);  // not flat: fill = mean matters
  OcclusionOptions o;
  o.patch = 3;
  o.stride = 1;
  o.fill = OcclusionFill::VALUE;
  o.fill_value = -2.0;
  const OcclusionMap m = occlusion_map(image, shape, scorer, o);
  EXPECT_EQ(scored, 1 + 10 * 12);
  Eigen::Index my = 0, mx = 0;
  m.drop.maxCoeff(&my, &mx);
  EXPECT_TRUE(my >= 6 && my < 8 && mx >= 9 && mx < 11) << my << "," << mx;
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 14; ++x) {
      const bool far = y < 6 - 2 || y > 7 + 2 || x < 9 - 2 || x > 10 + 2;
      if (far) EXPECT_EQ(m.drop(y, x), 0.f) << y << "," << x;
      else EXPECT_GT(m.drop(y, x), 0.f) << y << "," << x;  // every image value exceeds the fill
    }
}

TEST(Occlusion, MeanFillUsesEachChannelsMean) {
  // Channel 0 is 0 everywhere but one pixel of value 64 (mean 1 over 8x8); a scorer reading that
  // pixel sees 64 -> 1 when its tile is hidden: a drop of 63.
  const train::InputShape shape{1, 8, 8};
  std::int64_t scored = 0;
  const RegionScorer scorer{shape, 0, 0, 1, 1, &scored};
  std::vector<float> image(64, 0.f);
  image[0] = 64.f;
  OcclusionOptions o;
  o.patch = 2;
  o.fill = OcclusionFill::MEAN;
  const OcclusionMap m = occlusion_map(image, shape, scorer, o);
  EXPECT_EQ(m.drop(0, 0), 63.f);
  EXPECT_EQ(m.drop(1, 1), 63.f);
  EXPECT_EQ(m.drop(2, 2), 0.f);
}

TEST(Occlusion, RefusesBadOptionsAndBadScorers) {
  const train::InputShape shape{1, 8, 8};
  const std::vector<float> image(64, 1.f);
  BatchScorer ok = [](const std::vector<float>&, std::int64_t n) { return std::vector<float>(n, 0.f); };
  OcclusionOptions o;
  o.patch = 9;
  EXPECT_THROW(occlusion_map(image, shape, ok, o), ConfigError);
  o.patch = 4;
  o.stride = 5;
  EXPECT_THROW(occlusion_map(image, shape, ok, o), ConfigError);
  o.stride = 0;
  EXPECT_THROW(occlusion_map(std::vector<float>(63, 1.f), shape, ok, o), ConfigError);
  BatchScorer short_answer = [](const std::vector<float>&, std::int64_t) { return std::vector<float>{}; };
  EXPECT_THROW(occlusion_map(image, shape, short_answer, o), std::runtime_error);
}
