// End-to-end tests of `lensforge-sim render` without a survey: runs the built executable in
// temporary folders (observing through a survey: test_cli_survey.cpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "test_support.hpp"

using namespace lensforge::test::cli;

namespace {

// Small grid, two sources (SOURCE_1, SOURCE_2), a PSF: renders in milliseconds.
const std::string kGoodScene = R"(grid: {nx: 24, ny: 20, pixel_scale: 0.15, supersampling: 2}
psf: {type: GAUSSIAN, fwhm: 0.2}
flux_unit: electron/s
lens:
  - {type: SIE, z: 0.4, theta_E: 1.0, e1: 0.05, e2: 0.0, center_x: 0, center_y: 0}
lens_light:
  - {type: SERSIC_ELLIPSE, flux: 40, R_sersic: 0.6, n_sersic: 4, e1: 0.05, e2: 0, center_x: 0, center_y: 0}
source_light:
  - {type: SERSIC_ELLIPSE, z: 1.2, flux: 3, R_sersic: 0.15, n_sersic: 1, e1: 0, e2: 0.1, center_x: 0.05, center_y: 0}
  - {type: GAUSSIAN, z: 2.0, flux: 2, sigma: 0.1, center_x: -0.1, center_y: 0.05}
)";

class CliRender : public CliTest {};

}  // namespace

TEST_F(CliRender, GoodSceneWritesFitsWithEveryComponentAndAPngPreview) {
  write_text(work() / "good.yaml", kGoodScene);
  const Result r = run("render good.yaml -o good.fits --threads 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("wrote good.fits [TOTAL, LENS_LIGHT, SOURCE, SOURCE_1, SOURCE_2] and good.png"),
            std::string::npos) << r.out;
  EXPECT_EQ(files(), (std::vector<std::string>{"good.fits", "good.png", "good.yaml"}));

  const auto hdus = read_fits(work() / "good.fits");
  ASSERT_EQ(hdus.size(), 5u);
  const std::vector<std::string> names = {"TOTAL", "LENS_LIGHT", "SOURCE", "SOURCE_1", "SOURCE_2"};
  for (std::size_t i = 0; i < hdus.size(); ++i) {
    SCOPED_TRACE(names[i]);
    const Hdu& h = hdus[i];
    EXPECT_EQ(h.extname, names[i]);
    EXPECT_EQ(h.nx, 24);
    EXPECT_EQ(h.ny, 20);
    EXPECT_EQ(h.cards.at("BUNIT"), "electron/s");
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("PIXSCALE")), 0.15);
    EXPECT_EQ(h.cards.at("SUPERSMP"), "2");
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("PSFFWHM")), 0.2);
    EXPECT_EQ(h.cards.at("SCENE"), "good.yaml");
    EXPECT_EQ(h.cards.at("LFVERSN"), LENSFORGE_VERSION);
    EXPECT_NE(h.cards.at("CTYPE1").find("TAN"), std::string::npos);
  }
  EXPECT_DOUBLE_EQ(std::stod(hdus[3].cards.at("ZSOURCE")), 1.2);
  EXPECT_DOUBLE_EQ(std::stod(hdus[4].cards.at("ZSOURCE")), 2.0);

  // TOTAL = LENS_LIGHT + SOURCE and SOURCE = SOURCE_1 + SOURCE_2, to float rounding.
  double lens = 0, s1 = 0, s2 = 0;
  for (std::size_t k = 0; k < hdus[0].pixels.size(); ++k) {
    EXPECT_NEAR(hdus[0].pixels[k], hdus[1].pixels[k] + hdus[2].pixels[k], 1e-5f * (1 + hdus[0].pixels[k]));
    EXPECT_NEAR(hdus[2].pixels[k], hdus[3].pixels[k] + hdus[4].pixels[k], 1e-5f * (1 + hdus[2].pixels[k]));
    lens += hdus[1].pixels[k], s1 += hdus[3].pixels[k], s2 += hdus[4].pixels[k];
  }
  // The lens light (total flux 40, half-light radius 0.6") is mostly inside the 3.6" x 3" field;
  // both sources are lensed into it and magnified.
  EXPECT_GT(lens, 0.6 * 40);
  EXPECT_LT(lens, 40);
  EXPECT_GT(s1, 3);
  EXPECT_GT(s2, 2);

  EXPECT_EQ(png_size(work() / "good.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 20}));
}

TEST_F(CliRender, ReferenceSceneReproducesTheLenstronomyImages) {
  // configs/scenes/lenstronomy_reference.yaml through the whole command, against the lenstronomy
  // 1.14.2 images of shared/reference/images (ss3 case). FITS stores float32 and the renderer
  // traces rays in float32: agreement to 1e-5 of the peak leaves room for both (measured: 2e-7).
  const std::string scene = lensforge::test::source_path("configs/scenes/lenstronomy_reference.yaml");
  const Result r = run("render '" + scene + "' -o ref.fits --no-png");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto hdus = read_fits(work() / "ref.fits");
  ASSERT_EQ(hdus.size(), 3u);
  const std::string dir = lensforge::test::shared_path("reference/images/sie_shear_sersic_100x100_ss3");
  const std::vector<std::string> files = {dir + ".npy", dir + "_lens_light.npy", dir + "_source.npy"};
  for (std::size_t h = 0; h < 3; ++h) {
    SCOPED_TRACE(hdus[h].extname);
    const auto ref = lensforge::test::read_npy_f64(files[h]);
    ASSERT_EQ(ref.data.size(), hdus[h].pixels.size());
    const double peak = *std::max_element(ref.data.begin(), ref.data.end());
    double worst = 0;
    for (std::size_t k = 0; k < ref.data.size(); ++k) worst = std::max(worst, std::abs(hdus[h].pixels[k] - ref.data[k]));
    EXPECT_LT(worst, 1e-5 * peak);
  }
}

TEST_F(CliRender, PngOptions) {
  write_text(work() / "good.yaml", kGoodScene);
  ASSERT_EQ(run("render good.yaml -o a.fits --no-png").status, 0);
  EXPECT_EQ(files(), (std::vector<std::string>{"a.fits", "good.yaml"}));
  ASSERT_EQ(run("render good.yaml -o b.fits --png preview.png").status, 0);
  EXPECT_EQ(png_size(work() / "preview.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 20}));
  EXPECT_FALSE(fs::exists(work() / "b.png"));
}

TEST_F(CliRender, BadScenesExitWithStatus2NameTheKeyAndWriteNothing) {
  write_text(work() / "typo.yaml", [] {
    std::string s = kGoodScene;
    s.replace(s.find("theta_E"), 7, "theta_e");
    return s;
  }());
  const auto before = files();
  expect_bad_input(run("render typo.yaml -o out.fits"), "typo.yaml:5: lens[0].theta_e: unknown parameter of SIE",
                   before);

  write_text(work() / "front.yaml", [] {
    std::string s = kGoodScene;
    s.replace(s.find("z: 1.2"), 6, "z: 0.3");
    return s;
  }());
  expect_bad_input(run("render front.yaml -o out.fits"), "source_light[0].z = 0.3 is not behind the lens", files());
  expect_bad_input(run("render missing.yaml -o out.fits"), "missing.yaml", files());
}

TEST_F(CliRender, ExistingOutputIsNotClobberedWithoutOverwrite) {
  write_text(work() / "good.yaml", kGoodScene);
  write_text(work() / "out.fits", "precious");
  const auto before = files();
  expect_bad_input(run("render good.yaml -o out.fits"), "--overwrite", before);
  EXPECT_EQ(read_text(work() / "out.fits"), "precious");
  EXPECT_FALSE(fs::exists(work() / "out.png"));

  // An existing preview also blocks the run.
  write_text(work() / "other.png", "keep");
  expect_bad_input(run("render good.yaml -o new.fits --png other.png"), "other.png", files());

  const Result r = run("render good.yaml -o out.fits --overwrite");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(work() / "out.fits").rfind("SIMPLE  =", 0), 0u);
  EXPECT_TRUE(fs::exists(work() / "out.png"));
}

TEST_F(CliRender, CommandLineErrorsExitWithStatus2) {
  write_text(work() / "good.yaml", kGoodScene);
  const auto before = files();
  expect_bad_input(run("render good.yaml"), "--output", before);
  expect_bad_input(run("render good.yaml -o x.fits --png x.png --no-png"), "--no-png", before);
  expect_bad_input(run("render good.yaml -o x.fits --threads 0"), "--threads", before);
  expect_bad_input(run("render good.yaml -o x.png"), ".fits", before);
  expect_bad_input(run("render good.yaml -o nofolder/x.fits"), "nofolder", before);
  expect_bad_input(run("rendr good.yaml"), "rendr", before);
  expect_bad_input(run(""), "subcommand", before);
}

TEST_F(CliRender, HelpAndVersion) {
  Result r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find(LENSFORGE_VERSION), std::string::npos) << r.out;
  r = run("render --help");
  EXPECT_EQ(r.status, 0);
  for (const char* s : {"SCENE", "--output", "--png", "--no-png", "--threads", "--overwrite", "configs/scenes", "--survey",
                        "--bands", "--seed", "--index", "--no-noise", "--artefacts", "--supersampling",
                        "--supersampling-convolution", "--unit", "--configs", "LENSFORGE_CONFIGS"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " not in:\n" << r.out;
}
