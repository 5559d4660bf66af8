// Augmentation against the simulator: a rotated, flipped or shifted render equals the render of
// the scene with transformed labels (lenstronomy's conventions); flux and centroid identities of
// the shift; label transform rules; draws; noise re-draws; prepare_example keeps image and labels
// consistent.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "data_test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/pixel_grid.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "lensforge/train/data/augmentation.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/data/example_preparer.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

// Label columns of the test scene, with lensforge's names.
const std::vector<std::string> kColumns{"lens_theta_E",     "lens_center_x", "lens_center_y", "lens_e1",
                                        "lens_e2",          "lens_gamma1",   "lens_gamma2",   "galaxy_center_x",
                                        "galaxy_center_y",  "galaxy_e1",     "galaxy_e2",     "source1_center_x",
                                        "source1_center_y", "source1_e1",    "source1_e2"};

std::vector<double> scene_labels() {
  return {0.8, 0.23, -0.17, 0.15, -0.1, 0.04, -0.03, 0.19, -0.12, 0.1, 0.2, 0.31, 0.08, -0.2, 0.12};
}

AugmentSpec default_spec() {
  AugmentSpec a;
  a.vector_pairs = default_vector_pairs();
  a.spin2_pairs = default_spin2_pairs();
  return a;
}

// An SIE + shear (centred on the deflector, as lensforge's populations draw it) lensing an
// elliptical Sersic source, with an elliptical Sersic deflector light off the mass centre.
Scene scene_from(const std::vector<double>& v) {
  auto at = [&](const char* name) {
    return v[std::size_t(std::find(kColumns.begin(), kColumns.end(), name) - kColumns.begin())];
  };
  Scene s;
  const double cx = at("lens_center_x"), cy = at("lens_center_y");
  s.lens_planes = {LensPlane{0.5,
                             {Sie{at("lens_theta_E"), at("lens_e1"), at("lens_e2"), cx, cy},
                              Shear{at("lens_gamma1"), at("lens_gamma2"), cx, cy}}}};
  s.z_source_convention = 2.0;
  s.lens_light = {
      {Sersic{20.0, 0.5, 2.5, at("galaxy_e1"), at("galaxy_e2"), at("galaxy_center_x"), at("galaxy_center_y")}, 0.5}};
  s.sources = {
      {Sersic{50.0, 0.12, 1.0, at("source1_e1"), at("source1_e2"), at("source1_center_x"), at("source1_center_y")},
       2.0}};
  return s;
}

ImageF render_labels(const std::vector<double>& v, int n) {
  RenderOptions o;
  o.grid = PixelGrid{n, n, 0.1};
  o.supersampling = 3;
  o.psf = GaussianPsf{0.15, 5.0};
  return render(scene_from(v), o).total;
}

// max |a - b| over the pixels (rows, cols) with r0 <= i < r1, c0 <= j < c1, over max |b|.
double relative_difference(const ImageF& a, const ImageF& b, int r0, int r1, int c0, int c1) {
  double d = 0;
  for (int i = r0; i < r1; ++i)
    for (int j = c0; j < c1; ++j) d = std::max(d, double(std::abs(a(i, j) - b(i, j))));
  return d / double(b.abs().maxCoeff());
}

// The renderer evaluates the transformed scene at the same sky points through rotated frames
// (phi from atan2 of the transformed e1, e2), so the renders agree to float32 rounding: at most
// 1.9e-7 of the peak in this scene (1-2 ulp). 2e-6 leaves a margin of 10; a wrong convention (a
// sign of e2 or of a position) changes pixels by percents of the peak (checked below).
constexpr double kRenderTolerance = 2e-6;

}  // namespace

TEST(Augmentation, DihedralImagesEqualRendersOfTransformedLabels) {
  const AugmentSpec spec = default_spec();
  const LabelPairs pairs = label_pairs(spec, kColumns);
  ASSERT_EQ(pairs.vectors.size(), 3u);
  ASSERT_EQ(pairs.spin2.size(), 4u);
  for (int n : {40, 41}) {  // even: the axis at a pixel corner; odd: at a pixel centre
    const ImageF original = render_labels(scene_labels(), n);
    for (int d = 0; d < 8; ++d) {
      const AugmentDraw draw{d % 4, d >= 4, 0.0, 0.0};
      ImageF img = original;
      apply_dihedral(img.data(), InputShape{1, n, n}, draw.rotations, draw.flip);
      std::vector<double> v = scene_labels();
      transform_labels(v, pairs, draw, 0.1);
      const ImageF expect = render_labels(v, n);
      EXPECT_LT(relative_difference(img, expect, 0, n, 0, n), kRenderTolerance)
          << "n " << n << " rotations " << draw.rotations << " flip " << draw.flip;
      EXPECT_NEAR(img.cast<double>().sum(), original.cast<double>().sum(), 1e-9 * original.cast<double>().sum());
      if (draw.flip) {
        // The test's power: forgetting e2 -> -e2 for the lens mass, or y -> -y for the source, is seen.
        for (std::size_t wrong : {std::size_t(4), std::size_t(12)}) {
          std::vector<double> w = v;
          w[wrong] = -w[wrong];
          EXPECT_GT(relative_difference(img, render_labels(w, n), 0, n, 0, n), 1e-2) << kColumns[wrong];
        }
      }
    }
  }
}

TEST(Augmentation, IntegerShiftEqualsRenderOfShiftedLabels) {
  const int n = 40;
  const AugmentSpec spec = default_spec();
  const LabelPairs pairs = label_pairs(spec, kColumns);
  ImageF img = render_labels(scene_labels(), n);
  const AugmentDraw draw{0, false, 2.0, -3.0};  // +2 px in x (columns), -3 px in y (rows)
  shift_image(img.data(), InputShape{1, n, n}, draw.shift_x, draw.shift_y);
  std::vector<double> v = scene_labels();
  transform_labels(v, pairs, draw, 0.1);
  EXPECT_NEAR(v[1], 0.23 + 0.2, 1e-15);
  EXPECT_NEAR(v[2], -0.17 - 0.3, 1e-15);
  const ImageF expect = render_labels(v, n);
  // Columns 0-1 and rows n-3..n-1 came from outside the image (zero). The PSF (radius 3 px) saw
  // repeated border pixels within 3 px of either image's edge: those pixels differ.
  EXPECT_LT(relative_difference(img, expect, 3, n - 6, 5, n - 3), kRenderTolerance);
  EXPECT_EQ(img(n - 1, 5), 0.0f);
  EXPECT_EQ(img(5, 0), 0.0f);
}

TEST(Augmentation, SubPixelShiftKeepsFluxAndMovesTheCentroidExactly) {
  // Bilinear interpolation: out(j) = (1 - t) in(j - k) + t in(j - k - 1) for a shift k + t keeps
  // sum in and adds the shift to the flux-weighted centroid, for content away from the edges (a
  // 4 px zero border here). Float32 rounding: ~1e-6 relative.
  const int n = 40;
  ImageF img = render_labels(scene_labels(), n);
  img.topRows(4).setZero();
  img.bottomRows(4).setZero();
  img.leftCols(4).setZero();
  img.rightCols(4).setZero();
  auto moments = [&](const ImageF& a) {
    double f = 0, fx = 0, fy = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        f += a(i, j);
        fx += a(i, j) * j;
        fy += a(i, j) * i;
      }
    return std::array<double, 3>{f, fx / f, fy / f};
  };
  const auto before = moments(img);
  for (auto [dx, dy] : {std::pair{0.37, -0.61}, std::pair{-2.25, 1.5}, std::pair{3.9, 0.0}}) {
    ImageF s = img;
    shift_image(s.data(), InputShape{1, n, n}, dx, dy);
    const auto after = moments(s);
    EXPECT_NEAR(after[0], before[0], 1e-6 * before[0]);
    EXPECT_NEAR(after[1], before[1] + dx, 1e-5);
    EXPECT_NEAR(after[2], before[2] + dy, 1e-5);
  }
}

TEST(Augmentation, LabelRulesFollowLenstronomyConventions) {
  const std::vector<std::string> cols{"x", "y", "e1", "e2", "theta_E"};
  AugmentSpec spec;
  spec.vector_pairs = {{"x", "y"}};
  spec.spin2_pairs = {{"e1", "e2"}};
  const LabelPairs pairs = label_pairs(spec, cols);
  auto apply = [&](AugmentDraw d) {
    std::vector<double> v{0.3, 0.1, 0.2, 0.05, 1.1};
    transform_labels(v, pairs, d, 0.1);
    return v;
  };
  // Flip x -> -x: (x, y) -> (-x, y); phi -> pi - phi: (e1, e2) -> (e1, -e2).
  EXPECT_EQ(apply({0, true}), (std::vector<double>{-0.3, 0.1, 0.2, -0.05, 1.1}));
  // Quarter turn: (x, y) -> (-y, x); phi -> phi + pi/2: (e1, e2) -> (-e1, -e2).
  EXPECT_EQ(apply({1, false}), (std::vector<double>{-0.1, 0.3, -0.2, -0.05, 1.1}));
  EXPECT_EQ(apply({2, false}), (std::vector<double>{-0.3, -0.1, 0.2, 0.05, 1.1}));
  EXPECT_EQ(apply({3, false}), (std::vector<double>{0.1, -0.3, -0.2, -0.05, 1.1}));
  // Flip then a quarter turn: (x, y) -> (-x, y) -> (-y, -x).
  EXPECT_EQ(apply({1, true}), (std::vector<double>{-0.1, -0.3, -0.2, 0.05, 1.1}));
  // The spin-2 rule is the rotation of phi by the same angle: e from (q, phi + k pi/2).
  const double q = 0.6, phi = 0.4;
  const double e = (1 - q) / (1 + q);
  for (int k = 0; k < 4; ++k) {
    std::vector<double> v{0, 0, e * std::cos(2 * phi), e * std::sin(2 * phi), 0};
    transform_labels(v, pairs, AugmentDraw{k, false}, 0.1);
    EXPECT_NEAR(v[2], e * std::cos(2 * (phi + k * M_PI / 2)), 1e-15);
    EXPECT_NEAR(v[3], e * std::sin(2 * (phi + k * M_PI / 2)), 1e-15);
  }
  // NaN labels (a non-lens) stay NaN; a pair with a column missing is left alone.
  std::vector<double> v{NAN, NAN, 0.2, 0.05, 1.1};
  transform_labels(v, pairs, AugmentDraw{1, true, 0.5, 0.5}, 0.1);
  EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1]));
  EXPECT_TRUE(label_pairs(spec, {"x", "e1", "e2"}).vectors.empty());
}

TEST(Augmentation, DrawsAreUniformOverTheEightElementsAndBoundedShifts) {
  AugmentSpec spec;
  spec.max_shift = 0.75;
  Rng rng(3, 4);
  std::map<int, int> count;
  const int n = 8000;
  for (int k = 0; k < n; ++k) {
    const AugmentDraw d = draw_augmentation(spec, rng);
    ++count[d.rotations + 4 * d.flip];
    ASSERT_LE(std::abs(d.shift_x), 0.75);
    ASSERT_LE(std::abs(d.shift_y), 0.75);
  }
  ASSERT_EQ(count.size(), 8u);
  // Binomial(8000, 1/8): mean 1000, sd 29.6; 5 sd.
  for (auto [e, c] : count) EXPECT_NEAR(c, 1000, 150) << e;
  spec.dihedral = false;
  spec.max_shift = 0;
  const AugmentDraw none = draw_augmentation(spec, rng);
  EXPECT_EQ(none.rotations, 0);
  EXPECT_FALSE(none.flip);
  EXPECT_EQ(none.shift_x, 0.0);
}

TEST(Augmentation, NoiseRedrawAddsUnitGaussianNoiseOfSigma) {
  const int n = 64;
  ImageF noiseless(n, n), sigma = ImageF::Constant(n, n, 2.0f);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) noiseless(i, j) = float(i + 0.5 * j);
  Rng a(9, 1), b(9, 1);
  const ImageF x = redraw_noise(noiseless, sigma, a);
  EXPECT_TRUE((x == redraw_noise(noiseless, sigma, b)).all());  // a function of the Rng only
  const Eigen::ArrayXXd z = ((x - noiseless) / sigma).cast<double>();
  // 4096 standard normals: the mean within 5/64 and the variance within 5 sqrt(2/4096) = 0.11.
  const double mean = z.mean(), var = (z - mean).square().mean();
  EXPECT_NEAR(mean, 0.0, 5.0 / 64);
  EXPECT_NEAR(var, 1.0, 0.11);
  EXPECT_THROW(redraw_noise(noiseless, ImageF::Ones(3, 3), a), ConfigError);
}

TEST(Augmentation, PreparedExamplesKeepImageAndLabelsConsistent) {
  // One bright pixel at the position its labels give; after any augmentation the brightest pixel
  // sits where the transformed labels say (the augmentation of prepare_example as a whole).
  const std::vector<BandSchema> bands = test::synthetic_schema().bands;
  const std::vector<std::string> cols{"class", "lens_center_x", "lens_center_y"};
  const PixelGrid grid{12, 12, 0.1};
  RawExample raw;
  raw.index = 3;
  for (const BandSchema& b : bands) raw.bands.push_back(ImageF::Zero(b.ny, b.nx));
  raw.bands[0](2, 8) = 5.0f;  // band A: row 2, column 8 (off the diagonals: its orbit has 8 pixels)
  raw.values = {1.0, grid.x(8), grid.y(2)};
  const StackSpec stack{{"A"}, BandGrid::NATIVE, 0.0, 0};
  PreprocessSpec pre;
  pre.normalisation = Normalisation::NONE;
  TaskSpec task;
  task.targets = {"lens_center_x", "lens_center_y"};
  const AugmentSpec aug = default_spec();
  std::map<std::pair<int, int>, int> seen;
  for (std::uint64_t s = 0; s < 64; ++s) {
    Rng rng(s, 0);
    const Example ex = prepare_example(raw, bands, cols, stack, pre, task, &aug, &rng);
    ASSERT_EQ(ex.pixels.size(), 144u);
    const auto k = std::size_t(std::max_element(ex.pixels.begin(), ex.pixels.end()) - ex.pixels.begin());
    const int i = int(k / 12), j = int(k % 12);
    EXPECT_NEAR(ex.targets[0], grid.x(j), 1e-12) << "seed " << s;
    EXPECT_NEAR(ex.targets[1], grid.y(i), 1e-12) << "seed " << s;
    EXPECT_EQ(ex.label, 1.0f);
    ++seen[{i, j}];
  }
  EXPECT_EQ(seen.size(), 8u);  // all eight images of the pixel occur
  // Without an Rng no augmentation happens.
  const Example plain = prepare_example(raw, bands, cols, stack, pre, task, &aug, nullptr);
  EXPECT_EQ(plain.pixels[2 * 12 + 8], 5.0f);
  EXPECT_EQ(plain.targets, (std::vector<double>{grid.x(8), grid.y(2)}));
}

TEST(Augmentation, TargetsNeedTheirPairPartners) {
  const std::vector<BandSchema> bands = test::synthetic_schema().bands;
  TaskSpec task;
  task.targets = {"lens_e1"};
  try {
    ExamplePreparer(bands, {"class", "lens_e1"}, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, task,
                    default_spec());
    FAIL() << "accepted lens_e1 without lens_e2";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'lens_e2'"), std::string::npos) << e.what();
  }
  // Without augmentation the partner is not needed.
  EXPECT_NO_THROW(ExamplePreparer(bands, {"class", "lens_e1"}, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0},
                                  PreprocessSpec{}, task, std::nullopt));
}
