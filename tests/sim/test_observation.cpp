// Observing scenes in survey bands: magnitudes set band fluxes, the PSF keeps flux, convolution on
// sub-pixels agrees with convolution on pixels, noise follows the sigma map, results are
// reproducible.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"
#include "test_support.hpp"

using namespace lensforge;

namespace {

const SurveyPreset& euclid() {
  static const SurveyPreset p = load_survey_preset(test::source_path("configs"), "euclid");
  return p;
}

// A lens galaxy (red: brighter in H) and a lensed blue source, well inside a 20" cutout.
Scene coloured_lens() {
  Scene s;
  s.lens_planes = {LensPlane{0.5, {Sie{1.2, 0.05, -0.1, 0.0, 0.0}, Shear{0.02, -0.01}}}};
  s.z_source_convention = 2.0;
  LightComponent lens{Sersic{1.0, 0.6, 1.0, 0.05, -0.1, 0.0, 0.0}, 0.5, {{"VIS", 19.5}, {"H", 18.2}}};
  LightComponent src{Sersic{1.0, 0.2, 1.0, 0.1, 0.1, 0.1, 0.05}, 2.0, {{"VIS", 22.5}, {"H", 22.9}}};
  s.lens_light = {lens};
  s.sources = {src};
  return s;
}

}  // namespace

TEST(Observation, MagnitudesSetTheBandFluxesAndThePsfKeepsThem) {
  ObservationOptions opt;
  opt.noise = false;
  const SceneObserver obs({euclid().band("VIS"), euclid().band("H")}, opt);
  Rng rng(1, 0);
  const auto out = obs.observe(coloured_lens(), rng);
  ASSERT_EQ(out.size(), 2u);
  // The lens light is unlensed: its image holds band.flux(mag). An n = 1 profile with
  // R_e = 0.6" has e^-27 of its flux outside the 20" cutout, and the supersampled pixel means
  // are within ~1e-4 of the pixel integrals.
  for (const auto& [k, mag] : {std::pair{0, 19.5}, std::pair{1, 18.2}}) {
    const Band& b = obs.bands()[k];
    EXPECT_NEAR(out[k].lens_light.cast<double>().sum() / b.flux(mag), 1.0, 1e-3) << b.name;
    EXPECT_EQ(out[k].noiseless.rows(), b.ny);
    EXPECT_EQ(out[k].noiseless.cols(), b.nx);
  }
  // The lensed source is magnified: more flux than its unlensed magnitude gives.
  EXPECT_GT(out[0].source.sum(), 2.0 * euclid().band("VIS").flux(22.5));
  EXPECT_TRUE(out[0].observed.image.size() == 0);
}

TEST(Observation, SubPixelConvolutionAgreesWithPixelConvolution) {
  // For light that is smooth on the pixel scale both orders give the same image to the sampling
  // error of the kernel; the totals agree to float rounding.
  ObservationOptions on_pixels, on_subpixels;
  on_pixels.noise = on_subpixels.noise = false;
  on_subpixels.supersampling_convolution = true;
  Band vis = euclid().band("VIS");
  vis.nx = vis.ny = 64;
  Scene s = coloured_lens();
  std::get<Sersic>(s.sources[0].profile).R_sersic = 0.5;
  Rng rng(2, 0);
  const auto a = SceneObserver({vis}, on_pixels).observe(s, rng)[0];
  const auto b = SceneObserver({vis}, on_subpixels).observe(s, rng)[0];
  EXPECT_NEAR(a.noiseless.sum() / b.noiseless.sum(), 1.0, 1e-4);
  const float peak = a.noiseless.maxCoeff();
  EXPECT_LT((a.noiseless - b.noiseless).abs().maxCoeff(), 0.02f * peak);
}

TEST(Observation, NoiseFollowsTheSigmaMapAndIsReproducible) {
  ObservationOptions opt;
  const Band vis = euclid().band("VIS");
  const SceneObserver obs({vis}, opt);
  Rng r1(7, 3), r2(7, 3), r3(7, 4);
  const auto a = obs.observe(coloured_lens(), r1)[0];
  const auto b = obs.observe(coloured_lens(), r2)[0];
  const auto c = obs.observe(coloured_lens(), r3)[0];
  EXPECT_TRUE((a.observed.image == b.observed.image).all());
  EXPECT_FALSE((a.observed.image == c.observed.image).all());
  // (image - noiseless) / sigma over 40,000 pixels: mean 0 and variance 1 within 5 standard
  // errors (0.005 and 0.007); the Poisson skew at these counts is negligible.
  const Eigen::ArrayXXd z = ((a.observed.image - a.noiseless) / a.observed.sigma).cast<double>();
  const double n = double(z.size()), mean = z.sum() / n, var = (z - mean).square().sum() / n;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / n));
}

TEST(Observation, BandNoiseDependsOnlyOnItsOwnIndex) {
  // Band k draws from rng.split(k): observing VIS alone or VIS with H gives the same VIS image.
  ObservationOptions opt;
  Rng r1(11, 0), r2(11, 0);
  const auto alone = SceneObserver({euclid().band("VIS")}, opt).observe(coloured_lens(), r1);
  const auto both = SceneObserver({euclid().band("VIS"), euclid().band("H")}, opt).observe(coloured_lens(), r2);
  EXPECT_TRUE((alone[0].observed.image == both[0].observed.image).all());
}

TEST(Observation, RejectsBadOptions) {
  ObservationOptions opt;
  opt.supersampling = 0;
  EXPECT_THROW(SceneObserver({euclid().band("VIS")}, opt), ConfigError);
  EXPECT_THROW(SceneObserver({}, ObservationOptions{}), ConfigError);
}

TEST(Observation, PixelatedPsfFromAFitsFileActsLikeTheAnalyticPsf) {
  // A band whose PSF is a FITS kernel (the Gaussian itself, sampled 3x finer than the pixels)
  // gives the image of the analytic Gaussian PSF to the kernel's resampling error.
  Band vis = euclid().band("VIS");
  vis.nx = vis.ny = 64;
  GaussianKernelParams k;
  k.fwhm = vis.psf.fwhm;
  k.pixel_scale = vis.pixel_scale / 3.0;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("lensforge_psf_" + std::to_string(::getpid()) + ".fits")).string();
  write_fits(path, {FitsImageHdu{"PSF", gaussian_kernel(k).pixels(), {}, std::nullopt}});
  Band pixel = vis;
  pixel.psf.type = PsfType::PIXEL;
  pixel.psf.file = path;
  pixel.psf.oversampling = 3;
  ObservationOptions opt;
  opt.noise = false;
  Rng rng(5, 0);
  const auto a = SceneObserver({vis}, opt).observe(coloured_lens(), rng)[0];
  const auto b = SceneObserver({pixel}, opt).observe(coloured_lens(), rng)[0];
  std::filesystem::remove(path);
  EXPECT_NEAR(b.noiseless.sum() / a.noiseless.sum(), 1.0, 1e-4);
  EXPECT_LT((a.noiseless - b.noiseless).abs().maxCoeff(), 0.01f * a.noiseless.maxCoeff());
  // A missing kernel file is an IoError naming it, when the observer is made.
  pixel.psf.file = path;
  EXPECT_THROW(SceneObserver({pixel}, opt), IoError);
}

// make_sample observes the lens criterion's band first and the others only for kept draws, so
// observe_band(k) must be element k of observe(), bit for bit, in any order of calls.
TEST(Observation, OneBandAloneIsBitForBitThatBandOfAllBands) {
  ObservationOptions opt;
  opt.source_images = true;
  const SceneObserver obs({euclid().band("VIS"), euclid().band("Y"), euclid().band("H")}, opt);
  Rng rng(17, 3);
  const auto all = obs.observe(coloured_lens(), rng);
  auto same = [](const auto& a, const auto& b) {
    return a.size() == b.size() && a.rows() == b.rows() &&
           std::memcmp(a.data(), b.data(), sizeof(*a.data()) * std::size_t(a.size())) == 0;
  };
  for (std::size_t k : {std::size_t(2), std::size_t(0), std::size_t(1)}) {
    const BandObservation one = obs.observe_band(coloured_lens(), k, rng);
    EXPECT_EQ(one.band, all[k].band);
    EXPECT_TRUE(same(one.lens_light, all[k].lens_light)) << k;
    EXPECT_TRUE(same(one.source, all[k].source)) << k;
    ASSERT_EQ(one.sources.size(), 1u);
    EXPECT_TRUE(same(one.sources[0], all[k].sources[0])) << k;
    EXPECT_TRUE(same(one.observed.image, all[k].observed.image)) << k;
    EXPECT_TRUE(same(one.observed.sigma, all[k].observed.sigma)) << k;
    EXPECT_TRUE(same(one.observed.mask, all[k].observed.mask)) << k;
    EXPECT_GT(one.observed.image.size(), 0);
  }
  EXPECT_THROW(obs.observe_band(coloured_lens(), 3, rng), std::out_of_range);
}
