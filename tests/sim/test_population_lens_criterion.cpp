// Lens criterion measures on hand-made images: pixels above k sigma, 8-neighbour regions, the
// region-size cut, arc S/N, and the settings' validation.
#include <gtest/gtest.h>

#include <cmath>

#include "lensforge/sim/population/lens_criterion.hpp"

using namespace lensforge;

TEST(PopulationLensCriterion, CountsPixelsRegionsAndSnr) {
  ImageF source = ImageF::Zero(8, 10), sigma = ImageF::Constant(8, 10, 2.0f);
  // Region A: an L of 3 pixels; region B: 2 pixels touching only at a corner (one 8-connected
  // region); region C: a single pixel; one pixel just below threshold.
  source(1, 1) = 10.0f, source(1, 2) = 10.0f, source(2, 1) = 10.0f;
  source(5, 5) = 4.5f, source(6, 6) = 6.0f;
  source(2, 8) = 3.0f;
  source(7, 0) = 2.0f;  // = 1 sigma, not above k = 1.2 sigma
  const LensedSourceStats st = lensed_source_stats(source, sigma, 1.2, 1);
  EXPECT_EQ(st.lensed_pixels, 6);
  EXPECT_EQ(st.n_images, 3);
  // S/N: sqrt(3 * 5^2 + 2.25^2 + 3^2 + 1.5^2).
  EXPECT_NEAR(st.arc_snr, std::sqrt(75.0 + 2.25 * 2.25 + 9.0 + 2.25), 1e-6);
  // Regions smaller than min_region_pixels are not images (their pixels still count).
  const LensedSourceStats big = lensed_source_stats(source, sigma, 1.2, 2);
  EXPECT_EQ(big.n_images, 2);
  EXPECT_EQ(big.lensed_pixels, 6);
  EXPECT_EQ(lensed_source_stats(source, sigma, 1.2, 3).n_images, 1);
  // A higher threshold drops the faint pixels.
  const LensedSourceStats hi = lensed_source_stats(source, sigma, 2.5, 1);
  EXPECT_EQ(hi.lensed_pixels, 4);  // 10, 10, 10, 6
  EXPECT_EQ(hi.n_images, 2);
  // Pixels without a noise estimate (sigma <= 0) are never detections.
  sigma(1, 1) = 0.0f;
  EXPECT_EQ(lensed_source_stats(source, sigma, 1.2, 1).lensed_pixels, 5);
  EXPECT_THROW(lensed_source_stats(source, ImageF::Zero(3, 3), 1.0, 1), std::invalid_argument);
}

TEST(PopulationLensCriterion, Validation) {
  LensCriterion c;
  EXPECT_EQ(c.validate(), "");
  c.k_sigma = 0.0;
  EXPECT_EQ(c.validate(), "k_sigma = 0: must be > 0");
  c = {};
  c.max_attempts = 0;
  EXPECT_EQ(c.validate(), "max_attempts = 0: must be in [1, 10000]");
  c = {};
  c.min_region_pixels = 0;
  EXPECT_EQ(c.validate(), "min_region_pixels = 0: must be in [1, 1e8]");
  c = {};
  c.min_magnification = -1.0;
  EXPECT_EQ(c.validate(), "min_magnification = -1: must be >= 0");
}
