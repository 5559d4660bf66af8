// End-to-end tests of `lensforge-sim render --survey`: a scene observed in a survey's bands.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "cli_test_support.hpp"
#include "test_support.hpp"

using namespace lensforge::test::cli;

namespace {

// A small survey: three bands of 24 x 24 or 12 x 12 pixels, Gaussian PSFs; cosmic rays configured
// (off, as in the presets) at a rate that puts ~23 tracks on B (5.76e-4 cm^2, 200 s), neighbours
// allowed in the small fields.
const std::string kMiniSurvey = R"(survey: Mini
defaults:
  nx: 24
  ny: 24
  pixel_scale: 0.1
  exposure_time: 100.0
  n_exposures: 2
  gain: 2.0
  read_noise: 5.0
  sky_brightness: 22.0
  dark_current: 0.01
  full_well: 1.0e6
  pixel_size: 10.0
  psf: {type: GAUSSIAN, fwhm: 0.2}
  artefacts:
    cosmic_rays: {rate: 200.0, thickness: 20.0}
    neighbours: {min_distance: 0.5}
bands:
  B: {zero_point: 26.0}
  G: {zero_point: 26.5, psf: {fwhm: 0.25}}
  R: {zero_point: 25.5, pixel_scale: 0.2, nx: 12, ny: 12, psf: {fwhm: 0.3}}
)";

struct MiniBand {
  const char* name;
  double zero_point, pixel_scale, psf_fwhm;
  int n;
  double lens_mag, source_mag;
};
const std::vector<MiniBand> kMiniBands = {
    {"B", 26.0, 0.1, 0.2, 24, 20.5, 21.0}, {"G", 26.5, 0.1, 0.25, 24, 20.0, 21.5}, {"R", 25.5, 0.2, 0.3, 12, 19.5, 22.0}};

// Nothing lensed (a point mass of theta_E = 0): a red lens galaxy and a blue source, compact
// Gaussians well inside the 2.4" fields, so each band's image holds the two magnitudes' fluxes.
const std::string kColourScene = R"(grid: {num_pix: 10, pixel_scale: 0.3}
magnitude_zero_point: 25
lens:
  - {type: POINT_MASS, z: 0.4, theta_E: 0.0, center_x: 0, center_y: 0}
lens_light:
  - {type: GAUSSIAN, magnitude: 20, magnitudes: {B: 20.5, G: 20.0, R: 19.5}, sigma: 0.1, center_x: 0, center_y: 0}
source_light:
  - {type: GAUSSIAN, z: 1.5, magnitude: 22, magnitudes: {B: 21.0, G: 21.5, R: 22.0}, sigma: 0.08, center_x: 0.3,
     center_y: 0.2}
)";

/// Writes the mini survey and the colour scene into work/.
class CliSurvey : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    write_text(work() / "mini.yaml", kMiniSurvey);
    write_text(work() / "scene.yaml", kColourScene);
  }
};

}  // namespace

TEST_F(CliSurvey, WritesEveryBandWithNoiselessSigmaMaskAndItsCards) {
  const Result r = run("render scene.yaml -o obs.fits --survey mini.yaml --seed 5 --index 9");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("wrote obs.fits [B, B_NOISELESS, B_SIGMA, B_MASK, G, G_NOISELESS, G_SIGMA, G_MASK, R, "
                       "R_NOISELESS, R_SIGMA, R_MASK] and obs.png"),
            std::string::npos) << r.out;
  const auto hdus = read_fits(work() / "obs.fits");
  ASSERT_EQ(hdus.size(), 12u);
  for (std::size_t b = 0; b < 3; ++b) {
    const MiniBand& mb = kMiniBands[b];
    const std::string name = mb.name;
    for (const std::string suffix : {"", "_NOISELESS", "_SIGMA", "_MASK"}) {
      SCOPED_TRACE(name + suffix);
      const Hdu& h = hdus[4 * b + (suffix.empty() ? 0 : suffix == "_NOISELESS" ? 1 : suffix == "_SIGMA" ? 2 : 3)];
      EXPECT_EQ(h.extname, name + suffix);
      EXPECT_EQ(h.nx, mb.n);
      EXPECT_EQ(h.ny, mb.n);
      EXPECT_EQ(h.cards.at("BAND"), name);
      EXPECT_EQ(h.cards.at("SURVEY"), "Mini");
      EXPECT_EQ(h.cards.at("PRESET"), "mini");
      EXPECT_EQ(card(h, "EXPTIME"), 200.0);
      EXPECT_EQ(h.cards.at("NEXP"), "2");
      EXPECT_EQ(card(h, "GAIN"), 2.0);
      EXPECT_EQ(card(h, "RDNOISE"), 5.0);
      EXPECT_EQ(card(h, "SKYMAG"), 22.0);
      EXPECT_EQ(card(h, "PIXSCALE"), mb.pixel_scale);
      EXPECT_EQ(h.cards.at("PSFTYPE"), "GAUSSIAN");
      EXPECT_EQ(card(h, "PSFFWHM"), mb.psf_fwhm);
      EXPECT_EQ(h.cards.at("SEED"), "5");
      EXPECT_EQ(h.cards.at("INDEX"), "9");
      EXPECT_EQ(h.cards.at("NOISE"), "T");
      EXPECT_EQ(h.cards.at("ARTEFACT"), "none");
      EXPECT_EQ(h.cards.at("CTYPE1"), "RA---TAN");
      EXPECT_DOUBLE_EQ(card(h, "CD2_2"), mb.pixel_scale / 3600);
      if (suffix == "_MASK") {
        EXPECT_EQ(h.bitpix, USHORT_IMG);
        EXPECT_EQ(h.cards.at("BITPIX"), "16");
        EXPECT_EQ(h.cards.at("BZERO"), "32768");
        EXPECT_EQ(h.cards.count("BUNIT"), 0u);
        EXPECT_EQ(h.cards.at("MASKB0"), "COSMIC_RAY");
        EXPECT_EQ(h.cards.at("MASKB7"), "NEIGHBOUR");
        EXPECT_EQ(*std::max_element(h.pixels.begin(), h.pixels.end()), 0.f);  // no artefacts by default
      } else {
        EXPECT_EQ(h.bitpix, FLOAT_IMG);
        EXPECT_EQ(h.cards.at("BUNIT"), "electron/s");
        EXPECT_EQ(card(h, "MAGZP"), mb.zero_point);
      }
    }
    // SIGMA: sqrt(E + n_exp read^2) / t; far from the objects E = (sky + dark) t with the sky
    // 10^(-0.4 (22 - zp)) pixel_scale^2 e-/s (survey/band.hpp).
    const double t = 200.0, bkg = std::pow(10.0, -0.4 * (22.0 - mb.zero_point)) * mb.pixel_scale * mb.pixel_scale + 0.01;
    const Hdu& sigma = hdus[4 * b + 2];
    EXPECT_NEAR(sigma.pixels[0], std::sqrt(bkg * t + 2 * 25.0) / t, 1e-6 * sigma.pixels[0]);
    EXPECT_NEAR(card(hdus[4 * b], "SKYLEVEL"), bkg, 1e-12 * bkg);
    // The noisy image scatters around the noiseless one as SIGMA says: the sum of the residuals
    // is within 5 sigma of zero.
    const Hdu &img = hdus[4 * b], &clean = hdus[4 * b + 1];
    double resid = 0, var = 0;
    for (std::size_t k = 0; k < img.pixels.size(); ++k) {
      resid += img.pixels[k] - clean.pixels[k];
      var += double(sigma.pixels[k]) * sigma.pixels[k];
    }
    EXPECT_LT(std::abs(resid), 5 * std::sqrt(var)) << name;
  }
  // Three bands: an RGB composite on the finest grid of the three (B, G: 0.1"/px).
  EXPECT_EQ(png_size(work() / "obs.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 24}));
  EXPECT_EQ(png_colour_type(work() / "obs.png"), 2);
}

TEST_F(CliSurvey, NoiselessPlanesHoldTheBandFluxesOfTheMagnitudes) {
  // Expected totals: 10^(-0.4 (m - zp)) e-/s per component (survey/band.hpp); the light outside
  // the fields is below 1e-7 of it (6 sigma of the PSF-convolved Gaussians), float sums 1e-6.
  auto expected = [](const MiniBand& b) {
    return std::pow(10.0, -0.4 * (b.lens_mag - b.zero_point)) + std::pow(10.0, -0.4 * (b.source_mag - b.zero_point));
  };
  ASSERT_EQ(run("render scene.yaml -o es.fits --survey mini.yaml --no-noise --no-png").status, 0);
  ASSERT_EQ(run("render scene.yaml -o adu.fits --survey mini.yaml --no-noise --no-png --unit ADU").status, 0);
  ASSERT_EQ(run("render scene.yaml -o flux.fits --survey mini.yaml --no-noise --no-png --unit flux").status, 0);
  const auto es = read_fits(work() / "es.fits"), adu = read_fits(work() / "adu.fits"), flux = read_fits(work() / "flux.fits");
  ASSERT_EQ(es.size(), 3u);  // --no-noise: the noiseless image per band, nothing else
  for (std::size_t b = 0; b < 3; ++b) {
    const MiniBand& mb = kMiniBands[b];
    SCOPED_TRACE(mb.name);
    const double e = expected(mb);
    EXPECT_EQ(es[b].extname, mb.name);
    EXPECT_EQ(es[b].cards.at("NOISE"), "F");
    EXPECT_NEAR(sum(es[b]), e, 1e-5 * e);
    // ADU of the summed exposures: x t / gain; zero point zp + 2.5 log10(t / gain).
    EXPECT_EQ(adu[b].cards.at("BUNIT"), "adu");
    EXPECT_NEAR(sum(adu[b]), e * 100.0, 1e-5 * e * 100.0);
    EXPECT_NEAR(card(adu[b], "MAGZP"), mb.zero_point + 2.5 * std::log10(100.0), 1e-12);
    // Nanomaggies: a source of AB magnitude m is 10^(-0.4 (m - 22.5)).
    const double nmgy = std::pow(10.0, -0.4 * (mb.lens_mag - 22.5)) + std::pow(10.0, -0.4 * (mb.source_mag - 22.5));
    EXPECT_EQ(flux[b].cards.at("BUNIT"), "nmgy");
    EXPECT_NEAR(sum(flux[b]), nmgy, 1e-5 * nmgy);
    EXPECT_EQ(card(flux[b], "MAGZP"), 22.5);
  }
}

TEST_F(CliSurvey, SameSeedAndIndexReproduceTheDataAnotherIndexChangesTheNoise) {
  const std::string base = "render scene.yaml --survey mini.yaml --no-png --bands R,B";
  ASSERT_EQ(run(base + " -o a.fits --seed 3 --index 11").status, 0);
  ASSERT_EQ(run(base + " -o b.fits --seed 3 --index 11").status, 0);
  ASSERT_EQ(run(base + " -o c.fits --seed 3 --index 12").status, 0);
  ASSERT_EQ(run(base + " -o d.fits --seed 4 --index 11").status, 0);
  const auto a = read_fits(work() / "a.fits"), b = read_fits(work() / "b.fits"), c = read_fits(work() / "c.fits"),
             d = read_fits(work() / "d.fits");
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a[0].extname, "R");  // in the order of --bands
  EXPECT_EQ(a[4].extname, "B");
  for (std::size_t k = 0; k < a.size(); ++k) {
    SCOPED_TRACE(a[k].extname);
    EXPECT_EQ(a[k].pixels, b[k].pixels);
    const bool noisy = k % 4 == 0;
    if (noisy) {
      EXPECT_NE(a[k].pixels, c[k].pixels);
      EXPECT_NE(a[k].pixels, d[k].pixels);
      std::size_t same = 0;
      for (std::size_t p = 0; p < a[k].pixels.size(); ++p) same += a[k].pixels[p] == c[k].pixels[p];
      EXPECT_LT(same, a[k].pixels.size() / 10);  // independent noise, not a shifted copy
    }
    if (k % 4 == 1) {
      EXPECT_EQ(a[k].pixels, c[k].pixels);  // NOISELESS does not depend on the noise
    }
  }
  EXPECT_EQ(c[0].cards.at("INDEX"), "12");
  EXPECT_EQ(d[0].cards.at("SEED"), "4");
}

TEST_F(CliSurvey, CosmicRaysSetTheirMaskBitsAndTouchNothingElse) {
  ASSERT_EQ(run("render scene.yaml -o plain.fits --survey mini.yaml --bands B --no-png").status, 0);
  const Result r = run("render scene.yaml -o cr.fits --survey mini.yaml --bands B --artefacts cosmic_rays");
  ASSERT_EQ(r.status, 0) << r.err;
  // One band: the preview is that band in greyscale.
  EXPECT_EQ(png_colour_type(work() / "cr.png"), 0);
  EXPECT_EQ(png_size(work() / "cr.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 24}));
  const auto plain = read_fits(work() / "plain.fits"), cr = read_fits(work() / "cr.fits");
  EXPECT_EQ(cr[0].cards.at("ARTEFACT"), "cosmic_rays");
  const Hdu& mask = hdu(cr, "B_MASK");
  std::size_t hit = 0;
  for (std::size_t k = 0; k < mask.pixels.size(); ++k) {
    const auto bits = std::uint16_t(mask.pixels[k]);
    EXPECT_EQ(bits & ~1u, 0u) << k;  // COSMIC_RAY only
    if (bits & 1u) {
      ++hit;
      EXPECT_GT(cr[0].pixels[k], plain[0].pixels[k]) << k;  // a track deposits charge
    } else {
      EXPECT_EQ(cr[0].pixels[k], plain[0].pixels[k]) << k;  // the other draws are unchanged
    }
  }
  EXPECT_GT(hit, 10u);  // ~23 tracks of >= 1 pixel expected

  ASSERT_EQ(run("render scene.yaml -o all.fits --survey mini.yaml --bands B --artefacts all --no-png").status, 0);
  EXPECT_EQ(read_fits(work() / "all.fits")[0].cards.at("ARTEFACT"), "all");
}

TEST_F(CliSurvey, PresetNamesAreFoundInConfigsFoldersAndExampleScenesHaveColours) {
  // ./configs/surveys first; --configs DIR alone when given; LENSFORGE_CONFIGS after ./configs.
  fs::create_directories(work() / "configs" / "surveys");
  fs::copy_file(work() / "mini.yaml", work() / "configs" / "surveys" / "mini.yaml");
  const Result local = run("render scene.yaml -o a.fits --survey mini --no-png --bands G");
  ASSERT_EQ(local.status, 0) << local.err;
  EXPECT_EQ(read_fits(work() / "a.fits")[0].extname, "G");

  const std::string configs = lensforge::test::source_path("configs");
  for (const auto& [scene, survey, hdus] : {std::tuple{"sie_shear.yaml", "euclid", 16u},
                                             std::tuple{"jackpot_double_source.yaml", "lsst_10yr", 24u}}) {
    SCOPED_TRACE(survey);
    const std::string path = lensforge::test::source_path(std::string("configs/scenes/") + scene);
    const std::string out = std::string(survey) + ".fits";
    const Result r = run("render '" + path + "' -o " + out + " --survey " + survey + " --no-png",
                         "LENSFORGE_CONFIGS='" + configs + "'");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto h = read_fits(work() / out);
    EXPECT_EQ(h.size(), hdus);
    // The lens galaxy is red: more electrons per second per unit flux... compare AB totals: the
    // reddest band's noiseless image is brighter in AB than the bluest's.
    const Hdu &blue = h[1], &red = h[h.size() - 3];
    EXPECT_LT(card(red, "MAGZP") - 2.5 * std::log10(sum(red)), card(blue, "MAGZP") - 2.5 * std::log10(sum(blue)));
  }
}

TEST_F(CliSurvey, BadSurveyArgumentsExitWithStatus2AndWriteNothing) {
  fs::create_directories(work() / "configs" / "surveys");
  fs::copy_file(work() / "mini.yaml", work() / "configs" / "surveys" / "mini.yaml");
  write_text(work() / "k.yaml", [] {
    std::string s = kColourScene;
    s.replace(s.find("R: 19.5}"), 8, "R: 19.5, K: 18.0}");
    return s;
  }());
  const auto before = files();
  // Unknown preset: where it looked and what there is.
  expect_bad_input(run("render scene.yaml -o x.fits --survey nosuch"),
                   "--survey nosuch: no such survey preset; looked in configs/surveys, LENSFORGE_CONFIGS (not set); "
                   "available: mini",
                   before);
  const std::string configs = lensforge::test::source_path("configs");
  expect_bad_input(run("render scene.yaml -o x.fits --survey nosuch --configs '" + configs + "'"),
                   "available: des_dr1, des_y6, euclid, hsc, lsst_10yr, lsst_single_visit", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey '" + configs + "/surveys/lsst.yaml'"),
                   "defines several presets (lsst_single_visit, lsst_10yr)", before);
  // Bands.
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --bands B,K"),
                   "--bands: preset mini has no band 'K'; bands: B, G, R", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --bands B,B"), "band B is given twice", before);
  expect_bad_input(run("render k.yaml -o x.fits --survey mini"),
                   "k.yaml:6: lens_light[0].magnitudes.K: survey Mini has no band 'K'; its bands: B, G, R", before);
  // Options.
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --unit jansky"),
                   "--unit 'jansky': unknown unit; allowed: e/s", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --artefacts cosmic,hot_pixels"),
                   "unknown artefact kind 'cosmic'", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --artefacts all --no-noise"), "--no-noise", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --supersampling 0"), "--supersampling 0", before);
  expect_bad_input(run("render scene.yaml -o x.fits --survey mini --seed -1"), "--seed", before);
  expect_bad_input(run("render scene.yaml -o x.fits --bands B"), "--bands requires --survey", before);
  expect_bad_input(run("render scene.yaml -o x.fits --no-noise"), "--no-noise requires --survey", before);
}
