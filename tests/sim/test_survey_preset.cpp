// Survey presets: every preset in configs/surveys loads and validates, values agree with the
// files (and the published numbers quoted there), the layering of defaults/bands/presets works,
// and broken files fail with the file, line and key path.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

std::string configs() { return test::source_path("configs"); }

// A scratch folder with one survey file; removed by the destructor.
struct TempSurvey {
  fs::path dir;
  fs::path file;
  explicit TempSurvey(const std::string& text, const std::string& name = "toy.yaml") {
    dir = fs::temp_directory_path() / ("lensforge_survey_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "surveys");
    file = dir / "surveys" / name;
    std::ofstream(file) << text;
  }
  ~TempSurvey() { fs::remove_all(dir); }
};

const char* kToy = R"(survey: Toy
defaults:
  pixel_scale: 0.2
  nx: 50
  ny: 40
  zero_point: 28.0
  exposure_time: 30.0
  n_exposures: 2
  gain: 2.0
  read_noise: 5.0
  sky_brightness: 21.0
  dark_current: 0.0
  full_well: 100000.0
  pixel_size: 10.0
  psf: {type: GAUSSIAN, fwhm: 0.7}
bands:
  g:
    zero_point: 28.5
  r:
    exposure_time: 30.0
)";

// Runs load_survey_file on `text` and returns the ConfigError message ("" if none was thrown).
std::string load_error(const std::string& text) {
  TempSurvey t(text);
  try {
    load_survey_file(t.file.string());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(SurveyPreset, EveryPresetLoadsAndValidates) {
  const auto names = list_survey_presets(configs());
  const std::vector<std::string> expect = {"des_dr1", "des_y6", "euclid", "hsc", "lsst_10yr", "lsst_single_visit"};
  EXPECT_EQ(names, expect);
  for (const auto& n : names) {
    const SurveyPreset p = load_survey_preset(configs(), n);
    EXPECT_EQ(p.name, n);
    EXPECT_FALSE(p.bands.empty()) << n;
    for (const auto& b : p.bands) EXPECT_EQ(b.validate(), "") << n << " " << b.name;
  }
}

TEST(SurveyPreset, EuclidValuesMatchTheFile) {
  const SurveyPreset p = load_survey_preset(configs(), "euclid");
  EXPECT_EQ(p.survey, "Euclid");
  ASSERT_EQ(p.bands.size(), 4u);
  const Band& vis = p.band("VIS");
  EXPECT_EQ(vis.survey, "Euclid");
  EXPECT_DOUBLE_EQ(vis.pixel_scale, 0.1);
  EXPECT_EQ(vis.nx, 200);
  EXPECT_EQ(vis.ny, 200);
  EXPECT_DOUBLE_EQ(vis.exposure_time, 566.0);
  EXPECT_EQ(vis.n_exposures, 4);
  EXPECT_DOUBLE_EQ(vis.read_noise, 4.2);
  EXPECT_DOUBLE_EQ(vis.sky_brightness, 22.3);
  EXPECT_DOUBLE_EQ(vis.zero_point, 25.9);
  EXPECT_EQ(vis.psf.type, PsfType::GAUSSIAN);
  EXPECT_DOUBLE_EQ(vis.psf.fwhm, 0.16);
  EXPECT_DOUBLE_EQ(vis.pixel_size, 12.0);
  EXPECT_FALSE(vis.artefacts.cosmic_rays.enabled);
  EXPECT_DOUBLE_EQ(vis.artefacts.cosmic_rays.rate, 5.0);
  EXPECT_DOUBLE_EQ(vis.artefacts.cosmic_rays.thickness, 40.0);
  const Band& h = p.band("H");
  EXPECT_DOUBLE_EQ(h.pixel_scale, 0.3);
  EXPECT_EQ(h.nx, 66);
  EXPECT_DOUBLE_EQ(h.exposure_time, 87.2);
  EXPECT_DOUBLE_EQ(h.artefacts.dead_pixels.fraction, 0.002);
  EXPECT_THROW(p.band("K"), ConfigError);
}

TEST(SurveyPreset, LsstDepthsShareTheBandsAndDifferInExposures) {
  const SurveyPreset one = load_survey_preset(configs(), "lsst_single_visit");
  const SurveyPreset ten = load_survey_preset(configs(), "lsst_10yr");
  ASSERT_EQ(one.bands.size(), 6u);
  const Band &r1 = one.band("r"), &r10 = ten.band("r");
  EXPECT_EQ(r1.n_exposures, 2);
  EXPECT_EQ(r10.n_exposures, 368);
  EXPECT_EQ(ten.band("u").n_exposures, 112);
  EXPECT_DOUBLE_EQ(r10.exposure_time, 15.0);
  EXPECT_DOUBLE_EQ(r10.zero_point, 28.361);  // SMTN-002 Zp_t
  EXPECT_DOUBLE_EQ(r10.sky_brightness, 21.198);
  EXPECT_DOUBLE_EQ(r10.psf.fwhm, 0.83);
  EXPECT_DOUBLE_EQ(r10.read_noise, 8.8);
  EXPECT_DOUBLE_EQ(r10.artefacts.cosmic_rays.thickness, 100.0);
  // The sky is converted with the hardware-only zero point.
  ASSERT_TRUE(r10.sky_zero_point.has_value());
  EXPECT_NEAR(r10.sky_rate(), std::pow(10.0, -0.4 * (21.198 - 28.487)) * 0.04, 1e-9);
  EXPECT_DOUBLE_EQ(r1.zero_point, r10.zero_point);
}

TEST(SurveyPreset, HscAndDesValuesMatchTheFiles) {
  const SurveyPreset hsc = load_survey_preset(configs(), "hsc");
  ASSERT_EQ(hsc.bands.size(), 5u);
  EXPECT_DOUBLE_EQ(hsc.band("i").zero_point, 28.5);
  EXPECT_DOUBLE_EQ(hsc.band("i").pixel_scale, 0.168);
  EXPECT_EQ(hsc.band("i").n_exposures, 6);
  EXPECT_DOUBLE_EQ(hsc.band("g").exposure_time, 150.0);
  EXPECT_DOUBLE_EQ(hsc.band("g").full_well, 150000.0);
  EXPECT_FALSE(hsc.band("g").sky_zero_point.has_value());
  const SurveyPreset dr1 = load_survey_preset(configs(), "des_dr1");
  const SurveyPreset y6 = load_survey_preset(configs(), "des_y6");
  ASSERT_EQ(dr1.bands.size(), 4u);
  EXPECT_DOUBLE_EQ(dr1.band("r").psf.fwhm, 0.96);
  EXPECT_DOUBLE_EQ(dr1.band("r").sky_brightness, 21.15);
  EXPECT_EQ(dr1.band("z").n_exposures, 4);
  EXPECT_EQ(y6.band("z").n_exposures, 10);
  EXPECT_DOUBLE_EQ(y6.band("g").pixel_scale, 0.263);
}

TEST(SurveyPreset, FileWithoutPresetsIsOnePresetNamedAfterIt) {
  TempSurvey t(kToy);
  const auto presets = load_survey_file(t.file.string());
  ASSERT_EQ(presets.size(), 1u);
  EXPECT_EQ(presets[0].name, "toy");
  EXPECT_EQ(presets[0].bands[0].name, "g");  // file order
  EXPECT_DOUBLE_EQ(presets[0].band("g").zero_point, 28.5);
  EXPECT_DOUBLE_EQ(presets[0].band("r").zero_point, 28.0);
  EXPECT_EQ(presets[0].band("r").ny, 40);
  EXPECT_EQ(load_survey_preset(t.dir.string(), "toy").bands.size(), 2u);
}

TEST(SurveyPreset, PixelPsfFileIsResolvedBesideTheYaml) {
  TempSurvey t(std::string(kToy) + "    psf: {type: PIXEL, fwhm: 0.7, file: kernels/r.fits, oversampling: 3}\n");
  const SurveyPreset p = load_survey_file(t.file.string()).at(0);
  const Band& r = p.band("r");
  EXPECT_EQ(r.psf.type, PsfType::PIXEL);
  EXPECT_EQ(r.psf.file, (t.dir / "surveys" / "kernels" / "r.fits").string());
  EXPECT_EQ(r.psf.oversampling, 3);
  EXPECT_EQ(p.band("g").psf.type, PsfType::GAUSSIAN);
}

TEST(SurveyPreset, UnknownKeyNamesFileLineAndKeyPath) {
  const std::string msg = load_error(std::string(kToy) + "    exposre_time: 30.0\n");
  EXPECT_TRUE(contains(msg, "toy.yaml:21:5: bands.r.exposre_time: unknown key 'exposre_time'")) << msg;
  const std::string top = load_error(std::string(kToy) + "colour: blue\n");
  EXPECT_TRUE(contains(top, "toy.yaml:21:1: colour: unknown key")) << top;
  const std::string nested = load_error(std::string(kToy) + "    artefacts: {cosmic_rays: {rte: 3}}\n");
  EXPECT_TRUE(contains(nested, "bands.r.artefacts.cosmic_rays.rte: unknown key")) << nested;
}

TEST(SurveyPreset, NegativeExposureNamesValueRangeAndLine) {
  const std::string msg = load_error(std::string(kToy) + "  i:\n    exposure_time: -30\n");
  EXPECT_TRUE(contains(msg, "toy.yaml:22:20: bands.i.exposure_time: band i: exposure_time = -30 s: must be in (0, 1e+06]"))
      << msg;
}

TEST(SurveyPreset, WrongTypeNamesExpectedTypeAndLine) {
  const std::string msg = load_error(std::string(kToy) + "    n_exposures: 2.5\n");
  EXPECT_TRUE(contains(msg, "toy.yaml:21:18: bands.r.n_exposures: expected an integer, got '2.5'")) << msg;
  const std::string word = load_error(std::string(kToy) + "    read_noise: low\n");
  EXPECT_TRUE(contains(word, "bands.r.read_noise: expected a number, got 'low'")) << word;
  const std::string map = load_error(std::string(kToy) + "    gain: {a: 1}\n");
  EXPECT_TRUE(contains(map, "bands.r.gain: expected a number, got a mapping")) << map;
  const std::string psf = load_error(std::string(kToy) + "    psf: {type: AIRY}\n");
  EXPECT_TRUE(contains(psf, "bands.r.psf.type: unknown PSF type 'AIRY'")) << psf;
}

TEST(SurveyPreset, MissingKeyAndBadPresetsAreReported) {
  std::string no_gain = kToy;
  no_gain.erase(no_gain.find("  gain: 2.0\n"), 12);
  const std::string msg = load_error(no_gain);
  EXPECT_TRUE(contains(msg, "bands.g.gain: missing required key")) << msg;

  const std::string preset_band =
      load_error(std::string(kToy) + "presets:\n  deep:\n    bands:\n      z: {n_exposures: 9}\n");
  EXPECT_TRUE(contains(preset_band, "presets.deep.bands.z: no such band in 'bands'; bands: g, r")) << preset_band;

  const std::string preset_value =
      load_error(std::string(kToy) + "presets:\n  deep:\n    defaults:\n      n_exposures: 0\n");
  EXPECT_TRUE(contains(preset_value, "toy.yaml:24:20: presets.deep.defaults.n_exposures: band g (preset deep): "
                                     "n_exposures = 0: must be in [1, 100000]"))
      << preset_value;
}

TEST(SurveyPreset, UnknownPresetListsTheAvailableOnesAndMissingFilesAreIoErrors) {
  try {
    load_survey_preset(configs(), "lsst");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "no survey preset 'lsst'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "lsst_10yr (lsst.yaml)")) << e.what();
  }
  EXPECT_THROW(load_survey_file(configs() + "/surveys/nonexistent.yaml"), IoError);
  EXPECT_THROW(list_survey_presets("/nonexistent"), IoError);
}
