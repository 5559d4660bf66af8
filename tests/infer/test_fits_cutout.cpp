// FITS cutouts: bands found by EXTNAME / FILTER / BAND, one file per band by pattern, pixel scales
// from the WCS or PIXSCALE and the warning when a header has none, and the inputs a run expands to.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lensforge/infer/band_file_pattern.hpp"
#include "lensforge/infer/fits_cutout.hpp"
#include "lensforge/infer/input_item.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"

using namespace lensforge;
using namespace lensforge::infer;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("lensforge_test_cutout_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

std::vector<BandSchema> model_bands() {
  BandSchema vis{"VIS", "euclid", 20, 20, "e-/s", 24.6, 0.1, 1800, 0.17};
  BandSchema y{"Y", "euclid", 8, 8, "e-/s", 25.0, 0.3, 300, 0.35};
  return {vis, y};
}

ImageF ramp(int ny, int nx, float offset) {
  ImageF img(ny, nx);
  for (int k = 0; k < ny * nx; ++k) img.data()[k] = offset + 0.25f * float(k);
  return img;
}

}  // namespace

TEST(FitsCutout, BandsByExtnameInAnyOrderWithTheWcsScale) {
  TempDir dir;
  std::vector<FitsImageHdu> hdus(3);
  hdus[0].extname = "y";  // case ignored
  hdus[0].data = ramp(8, 8, 100.f);
  hdus[0].wcs = FitsWcs{150.0, 2.0, 0.3};
  hdus[0].cards = {{"BUNIT", std::string("ADU"), ""}, {"MAGZP", 30.5, ""}};
  hdus[1].extname = "OTHER";
  hdus[1].data = ramp(4, 4, 0.f);
  hdus[2].extname = "VIS";
  hdus[2].data = ramp(20, 22, 1.f);
  hdus[2].wcs = FitsWcs{150.0, 2.0, 0.101};
  write_fits(dir.file("obj.fits"), hdus);

  const FitsCutout c = read_fits_cutout("obj", dir.file("obj.fits"), model_bands());
  EXPECT_EQ(c.id, "obj");
  ASSERT_EQ(c.raw.bands.size(), 2u);
  ASSERT_EQ(c.bands.size(), 2u);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.bands[0].name, "VIS");
  EXPECT_EQ(c.bands[0].nx, 22);
  EXPECT_EQ(c.bands[0].ny, 20);
  EXPECT_NEAR(c.bands[0].pixel_scale, 0.101, 1e-12);  // sqrt|det CD| * 3600 from the written CD matrix
  EXPECT_EQ(c.bands[0].unit, "e-/s");                 // no BUNIT: the model's
  EXPECT_TRUE((c.raw.bands[0] == hdus[2].data).all());
  EXPECT_EQ(c.bands[1].name, "Y");
  EXPECT_NEAR(c.bands[1].pixel_scale, 0.3, 1e-12);
  EXPECT_EQ(c.bands[1].unit, "ADU");
  EXPECT_EQ(c.bands[1].zero_point, 30.5);
  EXPECT_TRUE((c.raw.bands[1] == hdus[0].data).all());
}

TEST(FitsCutout, BandsByFilterOrBandKeywordAndPixscale) {
  TempDir dir;
  std::vector<FitsImageHdu> hdus(2);
  hdus[0].data = ramp(20, 20, 0.f);
  hdus[0].cards = {{"FILTER", std::string("vis"), ""}, {"PIXSCALE", 0.2, "[arcsec/px]"}};
  hdus[1].extname = "SCI2";
  hdus[1].data = ramp(8, 8, 5.f);
  hdus[1].cards = {{"BAND", std::string("Y"), ""}, {"CDELT1", -0.3 / 3600, ""}, {"CDELT2", 0.3 / 3600, ""}};
  write_fits(dir.file("obj.fits"), hdus);
  const FitsCutout c = read_fits_cutout("obj", dir.file("obj.fits"), model_bands());
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.bands[0].pixel_scale, 0.2);
  EXPECT_NEAR(c.bands[1].pixel_scale, 0.3, 1e-12);
  EXPECT_TRUE((c.raw.bands[1] == hdus[1].data).all());
}

TEST(FitsCutout, MissingPixelScaleWarnsOncePerFileAndAssumesTheModels) {
  TempDir dir;
  std::vector<FitsImageHdu> hdus(2);
  hdus[0].extname = "VIS";
  hdus[0].data = ramp(20, 20, 0.f);
  hdus[0].data(3, 4) = std::numeric_limits<float>::quiet_NaN();
  hdus[1].extname = "Y";
  hdus[1].data = ramp(8, 8, 0.f);
  write_fits(dir.file("noscale.fits"), hdus);
  const FitsCutout c = read_fits_cutout("x", dir.file("noscale.fits"), model_bands());
  ASSERT_EQ(c.warnings.size(), 1u);  // one line for the file, naming both bands and the NaN pixel
  EXPECT_NE(c.warnings[0].find("noscale.fits"), std::string::npos) << c.warnings[0];
  EXPECT_NE(c.warnings[0].find("VIS 0.1\"/px, Y 0.3\"/px"), std::string::npos) << c.warnings[0];
  EXPECT_NE(c.warnings[0].find("1 NaN"), std::string::npos) << c.warnings[0];
  EXPECT_EQ(c.bands[0].pixel_scale, 0.1);
  EXPECT_EQ(c.bands[1].pixel_scale, 0.3);
  EXPECT_EQ(c.raw.bands[0](3, 4), 0.f);
}

TEST(FitsCutout, MissingBandNamesTheBandAndListsTheHdus) {
  TempDir dir;
  std::vector<FitsImageHdu> hdus(2);
  hdus[0].extname = "VIS";
  hdus[0].data = ramp(20, 20, 0.f);
  hdus[1].extname = "J";
  hdus[1].data = ramp(8, 8, 0.f);
  hdus[1].cards = {{"FILTER", std::string("NISP-J"), ""}};
  write_fits(dir.file("a.fits"), hdus);
  try {
    read_fits_cutout("a", dir.file("a.fits"), model_bands());
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("band 'Y'"), std::string::npos) << m;
    EXPECT_NE(m.find("HDU 1 EXTNAME 'J' FILTER 'NISP-J'"), std::string::npos) << m;
  }
  // A single image HDU serves a single-band model whatever its name.
  write_fits(dir.file("one.fits"), {hdus[1]});
  const FitsCutout one = read_fits_cutout("one", dir.file("one.fits"), {model_bands()[1]});
  EXPECT_EQ(one.raw.bands[0].rows(), 8);
  // Not a FITS file.
  { std::ofstream(dir.file("broken.fits")) << "not a FITS file"; }
  EXPECT_THROW(read_fits_cutout("b", dir.file("broken.fits"), model_bands()), IoError);
}

TEST(BandFilePattern, NamesAndMatchesFiles) {
  const BandFilePattern p("{object}_{band}.fits");
  EXPECT_EQ(p.file_name("J1234+56", "VIS"), "J1234+56_VIS.fits");
  EXPECT_EQ(p.object_of("J1234+56_VIS.fits", "VIS"), "J1234+56");
  EXPECT_EQ(p.object_of("a_b_Y.fits", "Y"), "a_b");
  EXPECT_FALSE(p.object_of("J1234+56_VIS.fits", "Y").has_value());
  EXPECT_FALSE(p.object_of("_VIS.fits", "VIS").has_value());  // empty object
  const BandFilePattern q("cut-{band}-{object}.fit");
  EXPECT_EQ(q.file_name("o1", "H"), "cut-H-o1.fit");
  EXPECT_EQ(q.object_of("cut-H-o1.fit", "H"), "o1");
  EXPECT_THROW(BandFilePattern("{object}.fits"), ConfigError);
  EXPECT_THROW(BandFilePattern("d/{object}_{band}.fits"), ConfigError);
  EXPECT_THROW(BandFilePattern("{object}_{band}_{band}.fits"), ConfigError);
}

TEST(InputItems, FoldersFilesAndPatternsExpandToObjects) {
  TempDir dir;
  const FitsImageHdu h{"VIS", ramp(20, 20, 0.f), {}, std::nullopt, {}};
  for (const char* name : {"b.fits", "a.fits", "c.txt", "o1_VIS.fits", "o1_Y.fits", "o2_Y.fits"})
    if (std::string(name).ends_with(".fits")) write_fits(dir.file(name), {h});
    else std::ofstream(dir.file(name)) << "x";
  const std::vector<InputItem> plain = list_inputs({dir.path()}, "", {"VIS", "Y"});
  ASSERT_EQ(plain.size(), 5u);  // sorted, .txt left out
  EXPECT_EQ(plain[0].id, dir.file("a.fits"));
  EXPECT_EQ(plain[0].kind, InputKind::FITS_FILE);

  const std::vector<InputItem> objects = list_inputs({dir.path()}, "{object}_{band}.fits", {"VIS", "Y"});
  ASSERT_EQ(objects.size(), 2u);  // o1 once although two files name it; o2 although its VIS is missing
  EXPECT_EQ(objects[0].id, dir.file("o1"));
  EXPECT_EQ(objects[0].kind, InputKind::FITS_BANDS);
  EXPECT_EQ(objects[0].paths, (std::vector<std::string>{dir.file("o1_VIS.fits"), dir.file("o1_Y.fits")}));
  EXPECT_EQ(objects[1].paths[0], dir.file("o2_VIS.fits"));

  const std::vector<InputItem> one = list_inputs({dir.file("o1_Y.fits"), dir.file("o1_VIS.fits")}, "{object}_{band}.fits", {"VIS", "Y"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_THROW(list_inputs({dir.file("a.fits")}, "{object}_{band}.fits", {"VIS", "Y"}), ConfigError);
  EXPECT_THROW(list_inputs({dir.file("missing.fits")}, "", {"VIS"}), ConfigError);

  // The pattern's objects read as one cutout; a missing band file is an IoError naming it.
  const FitsCutout c = read_fits_cutout(objects[0].id, objects[0].paths, model_bands());
  EXPECT_EQ(c.raw.bands.size(), 2u);
  ASSERT_EQ(c.warnings.size(), 2u);  // neither file has a pixel scale: one warning each
  EXPECT_THROW(read_fits_cutout(objects[1].id, objects[1].paths, model_bands()), IoError);
}

TEST(InputItems, InputsThatCannotBeListedBecomeErrorItems) {
  TempDir dir;
  const FitsImageHdu h{"VIS", ramp(20, 20, 0.f), {}, std::nullopt, {}};
  write_fits(dir.file("o1_VIS.fits"), {h});
  write_fits(dir.file("o1_Y.fits"), {h});
  write_fits(dir.file("other.fits"), {h});
  { std::ofstream(dir.file("bad.h5")) << "not HDF5"; }
  const std::vector<InputItem> items = list_inputs_keeping_errors(
      {dir.file("o1_VIS.fits"), dir.file("missing_VIS.fits"), dir.file("bad.h5"), dir.file("o1_Y.fits"),
       dir.file("other.fits")},
      "{object}_{band}.fits", {"VIS", "Y"});
  ASSERT_EQ(items.size(), 4u);  // o1 once, then the three inputs that fail
  EXPECT_EQ(items[0].id, dir.file("o1"));
  EXPECT_TRUE(items[0].error.empty());
  EXPECT_EQ(items[1].id, dir.file("missing_VIS.fits"));
  EXPECT_NE(items[1].error.find("does not exist"), std::string::npos) << items[1].error;
  EXPECT_EQ(items[2].id, dir.file("bad.h5"));
  EXPECT_FALSE(items[2].error.empty());
  EXPECT_NE(items[3].error.find("does not match --pattern"), std::string::npos) << items[3].error;
  // A bad pattern is the command's error, not an input's.
  EXPECT_THROW(list_inputs_keeping_errors({dir.file("other.fits")}, "{object}.fits", {"VIS"}), ConfigError);
}
