// Renderer: lenstronomy reference images, flux and magnification identities, SIS ring radius,
// thread independence.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include <tbb/global_control.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "test_support.hpp"

using namespace lensforge;
using lensforge::test::read_json;
using lensforge::test::read_npy_f64;
using lensforge::test::shared_path;

namespace {

Sersic sersic_from_json(const nlohmann::json& k) {
  Sersic s;
  s.amp = k.at("amp");
  s.R_sersic = k.at("R_sersic");
  s.n_sersic = k.at("n_sersic");
  s.e1 = k.at("e1");
  s.e2 = k.at("e2");
  s.center_x = k.at("center_x");
  s.center_y = k.at("center_y");
  return s;
}

// The scene of ../shared/reference/images/ref_images.json: SIE + SHEAR, Sersic lens light and
// source. Single plane, so redshifts only need the source behind the lens.
Scene reference_scene(const nlohmann::json& ref) {
  const auto& kl = ref.at("kwargs_lens");
  Sie sie;
  sie.theta_E = kl[0].at("theta_E");
  sie.e1 = kl[0].at("e1");
  sie.e2 = kl[0].at("e2");
  sie.center_x = kl[0].at("center_x");
  sie.center_y = kl[0].at("center_y");
  Shear shear;
  shear.gamma1 = kl[1].at("gamma1");
  shear.gamma2 = kl[1].at("gamma2");
  Scene scene;
  scene.lens_planes = {LensPlane{0.5, {sie, shear}}};
  scene.z_source_convention = 2.0;
  scene.lens_light = {{sersic_from_json(ref.at("kwargs_lens_light")[0]), 0.5}};
  scene.sources = {{sersic_from_json(ref.at("kwargs_source")[0]), 2.0}};
  return scene;
}

// Per pixel within rel_tol relative where the reference exceeds 1e-3 of its peak; sums within
// sum_tol relative.
void expect_image_matches(const ImageF& ours, const std::string& npy, double rel_tol, double sum_tol) {
  const auto ref = read_npy_f64(shared_path("reference/images/" + npy));
  ASSERT_EQ(ref.shape.size(), 2u);
  ASSERT_EQ(ours.rows(), static_cast<Eigen::Index>(ref.shape[0])) << npy;
  ASSERT_EQ(ours.cols(), static_cast<Eigen::Index>(ref.shape[1])) << npy;
  double peak = 0.0, ref_sum = 0.0, our_sum = 0.0, worst = 0.0;
  for (double v : ref.data) peak = std::max(peak, std::abs(v));
  for (Eigen::Index i = 0; i < ours.rows(); ++i)
    for (Eigen::Index j = 0; j < ours.cols(); ++j) {
      const double r = ref.data[i * ours.cols() + j], o = ours(i, j);
      ref_sum += r;
      our_sum += o;
      if (std::abs(r) > 1e-3 * peak) {
        const double rel = std::abs(o - r) / std::abs(r);
        worst = std::max(worst, rel);
        EXPECT_LE(rel, rel_tol) << npy << " pixel (" << i << ", " << j << "): ours " << o << " reference " << r;
      }
    }
  EXPECT_LE(std::abs(our_sum - ref_sum) / std::abs(ref_sum), sum_tol) << npy << ": sum " << our_sum << " vs " << ref_sum;
  ::testing::Test::RecordProperty(npy + "_worst_rel", std::to_string(worst));
}

}  // namespace

class ReferenceImages : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(ReferenceImages, MatchLenstronomy) {
  const auto [ss, ssconv] = GetParam();
  const auto ref = read_json(shared_path("reference/images/ref_images.json"));
  const std::string stem = "sie_shear_sersic_100x100_ss" + std::to_string(ss) + (ssconv ? "_ssconv" : "");
  RenderOptions opt;
  opt.grid = PixelGrid{100, 100, ref.at("pixel_scale").get<double>()};
  opt.supersampling = ss;
  const Scene scene = reference_scene(ref);

  const RenderedImages raw = render(scene, opt);  // no PSF
  expect_image_matches(raw.total, stem + "_unconvolved.npy", 1e-4, 1e-5);

  opt.psf = GaussianPsf{ref.at("psf").at("fwhm").get<double>(), ref.at("psf").at("truncation").get<double>()};
  opt.supersampling_convolution = ssconv;
  const RenderedImages img = render(scene, opt);
  expect_image_matches(img.lens_light, stem + "_lens_light.npy", 1e-4, 1e-5);
  expect_image_matches(img.source, stem + "_source.npy", 1e-4, 1e-5);
  expect_image_matches(img.total, stem + ".npy", 1e-4, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Renderer, ReferenceImages,
                         ::testing::Values(std::tuple{1, false}, std::tuple{3, false}, std::tuple{3, true}));

TEST(Renderer, UnlensedSersicImageHoldsItsTotalFlux) {
  // A Sersic well inside the grid, rendered with supersampling, sums to its analytic total flux.
  // n = 1 keeps the flux beyond the 6" half-width below 1e-9; the supersampling error of a
  // R_sersic = 0.5" profile at 0.05"/px with 5x5 sub-pixels is ~1e-5 of the total.
  Sersic s;
  s.amp = 3.0;
  s.R_sersic = 0.5;
  s.n_sersic = 1.0;
  s.e1 = 0.1;
  s.e2 = -0.2;
  Scene scene;
  scene.lens_light = {{s, 0.5}};
  RenderOptions opt;
  opt.grid = PixelGrid{240, 240, 0.05};
  opt.supersampling = 5;
  const RenderedImages img = render(scene, opt);
  EXPECT_NEAR(img.total.cast<double>().sum() / total_flux(s), 1.0, 1e-4);
}

TEST(Renderer, SisMagnifiesACompactSourceByTwoThetaEOverBeta) {
  // Point-source magnification of an SIS for beta < theta_E: |mu+| + |mu-| = 2 theta_E / beta.
  // A Gaussian source of width sigma has corrections of order (sigma/beta)^2 = 1e-3.
  const double theta_E = 1.0, beta = 0.3, sigma = 0.01;
  Scene scene;
  scene.lens_planes = {LensPlane{0.5, {Sis{theta_E, 0.0, 0.0}}}};
  scene.z_source_convention = 2.0;
  scene.sources = {{Gaussian{1.0, sigma, 0.0, 0.0, beta, 0.0}, 2.0}};
  RenderOptions opt;
  opt.grid = PixelGrid{300, 40, 0.01};  // images at x = beta +- theta_E on the x axis
  opt.grid.center_x = beta;
  opt.supersampling = 4;
  const RenderedImages img = render(scene, opt);
  EXPECT_NEAR(img.source.cast<double>().sum(), 2.0 * theta_E / beta, 5e-3 * 2.0 * theta_E / beta);
}

TEST(Renderer, SisEinsteinRingHasTheAnalyticRadius) {
  // A round Gaussian source behind the centre of an SIS: |beta| = |r - theta_E|, so the ring's
  // surface brightness is exp(-(r - theta_E)^2 / (2 sigma^2)) and its flux-weighted mean radius
  // is (theta_E^2 + sigma^2) / theta_E.
  const double theta_E = 1.3, sigma = 0.05;
  Scene scene;
  scene.lens_planes = {LensPlane{0.5, {Sis{theta_E, 0.0, 0.0}}}};
  scene.z_source_convention = 2.0;
  scene.sources = {{Gaussian{1.0, sigma, 0.0, 0.0, 0.0, 0.0}, 2.0}};
  RenderOptions opt;
  opt.grid = PixelGrid{160, 160, 0.02};
  opt.supersampling = 3;
  const RenderedImages img = render(scene, opt);
  double w = 0.0, wr = 0.0;
  for (int i = 0; i < opt.grid.ny; ++i)
    for (int j = 0; j < opt.grid.nx; ++j) {
      const double r = std::hypot(opt.grid.x(j), opt.grid.y(i));
      w += img.source(i, j);
      wr += img.source(i, j) * r;
    }
  EXPECT_NEAR(wr / w, (theta_E * theta_E + sigma * sigma) / theta_E, 2e-4);
}

TEST(Renderer, LensingConservesSurfaceBrightness) {
  // A source much larger than the field has a uniform surface brightness there; lensing moves
  // rays but cannot change surface brightness, so the lensed image is as bright as the source.
  Scene scene;
  scene.lens_planes = {LensPlane{0.5, {Sie{1.0, 0.2, -0.1, 0.0, 0.0}, Shear{0.05, 0.02}}}};
  scene.z_source_convention = 2.0;
  const double sigma = 1e4;  // arcsec: flat to 1e-8 over a few arcsec
  scene.sources = {{Gaussian{2.0 * std::numbers::pi * sigma * sigma, sigma}, 2.0}};  // SB = 1 at its centre
  RenderOptions opt;
  opt.grid = PixelGrid{50, 50, 0.1};
  const RenderedImages img = render(scene, opt);
  EXPECT_NEAR(img.source.minCoeff(), 0.01f, 1e-7);  // SB 1 x pixel area 0.01 arcsec^2
  EXPECT_NEAR(img.source.maxCoeff(), 0.01f, 1e-7);
}

TEST(Renderer, ResultDoesNotDependOnTheThreadCount) {
  const auto ref = read_json(shared_path("reference/images/ref_images.json"));
  RenderOptions opt;
  opt.grid = PixelGrid{64, 48, 0.1};
  opt.supersampling = 2;
  opt.psf = GaussianPsf{0.15, 5.0};
  const Renderer renderer(reference_scene(ref), opt);
  ImageF one, many;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = renderer.render().total;
  }
  many = renderer.render().total;
  EXPECT_TRUE((one == many).all());
}

TEST(Renderer, RejectsInvalidOptions) {
  RenderOptions opt;
  opt.grid = PixelGrid{10, 10, 0.1};
  opt.supersampling = 0;
  const Scene empty;
  EXPECT_THROW(Renderer(empty, opt), ConfigError);
  opt.supersampling = 1;
  opt.psf = GaussianPsf{-0.1, 5.0};
  try {
    Renderer r(empty, opt);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("psf.fwhm"), std::string::npos) << e.what();
  }
}
