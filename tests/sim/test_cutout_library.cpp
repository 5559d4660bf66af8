// The shipped hybrid cutout library (scripts/make_cutout_library.py): both catalogs load, every
// cutout is a Euclid VIS-like 96x96 image at 0.1"/px whose border is sky-subtracted and carries
// the VIS wide-survey sky noise derived from configs/surveys/euclid.yaml, and both splits exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"

using namespace lensforge;

namespace {

const std::string kCatalogs = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs";

const Band& vis() {
  static const SurveyPreset euclid = load_survey_preset(std::string(LENSFORGE_SOURCE_DIR) + "/configs", "euclid");
  return euclid.band("VIS");
}

// Sky + read noise per pixel of the VIS stack, e-/s: sqrt(B t + n RN^2) / t with B the sky e-/s per
// pixel (22.3 mag/arcsec^2 at zero point 25.9 on 0.1" pixels: 0.2754), t = 4 x 566 s. The script
// leaves out the dark current (1.1 e- of 694 e-^2: 0.08% of sigma).
double vis_sky_sigma() {
  const Band& b = vis();
  const double t = b.total_exposure_time();
  return std::sqrt(b.sky_rate() * t + b.n_exposures * b.read_noise * b.read_noise) / t;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  double m = v[v.size() / 2];
  if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + v.size() / 2));
  return m;
}

// The outer `w` pixels of every side.
std::vector<double> border(const ImageD& img, int w) {
  std::vector<double> out;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j)
      if (i < w || j < w || i >= img.rows() - w || j >= img.cols() - w) out.push_back(img(i, j));
  return out;
}

void check_library(const std::string& file, std::size_t min_rows, std::set<std::string>& names) {
  const std::vector<HybridCutout> cs = load_hybrid_catalog(kCatalogs + "/" + file);
  EXPECT_GE(cs.size(), min_rows) << file;
  const double sigma = vis_sky_sigma();
  EXPECT_NEAR(sigma, 0.01164, 5e-5);  // the figure in the catalog header comments
  std::set<std::string> splits;
  for (const HybridCutout& c : cs) {
    SCOPED_TRACE(file + " row " + c.name);
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name";
    EXPECT_EQ(c.band, "VIS");
    EXPECT_EQ(c.pixels.rows(), 96);
    EXPECT_EQ(c.pixels.cols(), 96);
    EXPECT_NEAR(c.pixel_scale, vis().pixel_scale, 1e-9);  // PIXSCALE card
    EXPECT_DOUBLE_EQ(c.zero_point, vis().zero_point);
    EXPECT_DOUBLE_EQ(c.psf_fwhm, vis().psf.fwhm);
    EXPECT_DOUBLE_EQ(c.exposure_time, vis().total_exposure_time());
    EXPECT_TRUE(c.split == "train" || c.split == "test") << c.split;
    splits.insert(c.split);
    // Border of 4 pixels: N = 4 * 96 * 4 - 4 * 4^2 = 1472 pixels of sky.
    const std::vector<double> b = border(c.pixels, 4);
    ASSERT_EQ(b.size(), 1472u);
    const double med = median(b);
    std::vector<double> dev;
    for (double v : b) dev.push_back(std::abs(v - med));
    const double mad_sigma = 1.4826 * median(dev);
    // Median of N Gaussian values: std 1.2533 sigma / sqrt(N) = 0.033 sigma; 5 of them (0.16 sigma)
    // plus 0.1 sigma for the light of the object reaching the border (halo of NGC 2274 at z 0.3:
    // +0.13 sigma, measured when the library was made).
    EXPECT_LT(std::abs(med), 0.26 * sigma) << "border median " << med / sigma << " sigma";
    // MAD sigma of N Gaussian values: relative std 1.166 / sqrt(N) = 3.0%; 4 of them.
    EXPECT_NEAR(mad_sigma / sigma, 1.0, 0.12) << "border MAD sigma " << mad_sigma << " e-/s";
    // The centred object is detected: the central 8x8 or 16x16 pixels (a pair's stars sit up to
    // 0.75" from the centre) exceed 5 times their sky noise (8 and 16 sigma).
    const double s8 = c.pixels.block(44, 44, 8, 8).sum() / (8.0 * sigma);
    const double s16 = c.pixels.block(40, 40, 16, 16).sum() / (16.0 * sigma);
    EXPECT_GT(std::max(s8, s16), 5.0);
  }
  EXPECT_EQ(splits, (std::set<std::string>{"train", "test"})) << file;
}

}  // namespace

TEST(CutoutLibrary, BothCatalogsLoadAsVisCutoutsWithSkyNoiseBorders) {
  std::set<std::string> names;
  check_library("hybrid_cutouts.csv", 24, names);
  check_library("contaminant_cutouts.csv", 16, names);
}

TEST(CutoutLibrary, LensGalaxiesAreCentredAndInTheLensMagnitudeRange) {
  const double sigma = vis_sky_sigma();
  for (const HybridCutout& c : load_hybrid_catalog(kCatalogs + "/hybrid_cutouts.csv")) {
    SCOPED_TRACE(c.name);
    // hybrid_system puts the deflector at the grid centre (the corner of the four central pixels,
    // pixel coordinate 47.5): the light centroid within 10 px (above 2 sigma) is within 0.5 px.
    double w = 0.0, wx = 0.0, wy = 0.0;
    for (int i = 38; i < 58; ++i)
      for (int j = 38; j < 58; ++j) {
        const double v = std::max(c.pixels(i, j) - 2.0 * sigma, 0.0);
        w += v;
        wx += v * j;
        wy += v * i;
      }
    ASSERT_GT(w, 0.0);
    EXPECT_NEAR(wx / w, 47.5, 0.5);
    EXPECT_NEAR(wy / w, 47.5, 0.5);
    // Magnitude of the cutout's sum: 18-21 AB, the challenge galaxy (noise-limited) 22.
    const double mag = c.zero_point - 2.5 * std::log10(c.pixels.sum());
    EXPECT_GT(mag, 18.0);
    EXPECT_LT(mag, 22.3);
    EXPECT_GT(c.sigma_v, 150.0);
    EXPECT_LT(c.sigma_v, 350.0);
  }
}
