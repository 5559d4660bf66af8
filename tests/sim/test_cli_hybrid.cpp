// End-to-end tests of `lensforge-sim render` with a hybrid scene (`cutout:`): the lensed source
// painted on a real cutout of the shipped library (catalogs/hybrid_cutouts.csv).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "lensforge/sim/config/scene_yaml.hpp"
#include "lensforge/sim/render/hybrid.hpp"

using namespace lensforge::test::cli;

namespace {

const std::string kCatalog = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs/hybrid_cutouts.csv";
const std::string kCutout = "ngc2274_z30_r0";

// A hybrid scene on kCutout; `source` is the source entry's brightness and position keys, `extra`
// more top-level keys.
std::string scene(const std::string& source, const std::string& extra = "", const std::string& name = kCutout) {
  return "cutout: {catalog: " + kCatalog + ", name: " + name + ", band: VIS}\n" + extra +
         "lens:\n  - {type: SIE, z: 0.3, theta_E: 1.4, e1: 0.05, e2: 0.0, center_x: 0, center_y: 0}\n"
         "source_light:\n  - {type: SERSIC_ELLIPSE, z: 1.5, R_sersic: 0.15, n_sersic: 1, e1: 0.1, e2: 0.05, " +
         source + "}\n";
}

const lensforge::HybridCutout& catalog_row() {
  static const std::vector<lensforge::HybridCutout> rows = lensforge::load_hybrid_catalog(kCatalog);
  for (const auto& c : rows)
    if (c.name == kCutout) return c;
  throw std::runtime_error("no row " + kCutout);
}

double sum(const std::vector<float>& v) {
  double s = 0.0;
  for (float x : v) s += x;
  return s;
}

class CliHybrid : public CliTest {};

}  // namespace

TEST_F(CliHybrid, ZeroFluxSourceLeavesTotalBitIdenticalToTheCutout) {
  write_text(work() / "neg.yaml", scene("magnitude: 99, center_x: 0.2, center_y: 0.1"));
  const Result r = run("render neg.yaml -o neg.fits --no-png --seed 5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wrote neg.fits [TOTAL, SOURCE, CUTOUT]"), std::string::npos) << r.out;
  const auto hdus = read_fits(work() / "neg.fits");
  ASSERT_EQ(hdus.size(), 3u);
  const Hdu &total = hdu(hdus, "TOTAL"), &cut = hdu(hdus, "CUTOUT");
  ASSERT_EQ(total.nx, 96);
  ASSERT_EQ(total.ny, 96);
  ASSERT_EQ(total.pixels.size(), cut.pixels.size());
  EXPECT_EQ(0, std::memcmp(total.pixels.data(), cut.pixels.data(), sizeof(float) * cut.pixels.size()));
  // CUTOUT is the catalog row's pixels (float32 files: exact).
  const auto& row = catalog_row();
  for (long i = 0; i < cut.ny; ++i)
    for (long j = 0; j < cut.nx; ++j) ASSERT_EQ(cut.pixels[std::size_t(i * cut.nx + j)], float(row.pixels(i, j)));
  for (const Hdu& h : hdus) {
    SCOPED_TRACE(h.extname);
    EXPECT_EQ(h.cards.at("CUTNAME"), kCutout);
    EXPECT_EQ(h.cards.at("CUTBAND"), "VIS");
    // The catalog as the scene gives it; its file name when that is longer than a FITS string (68).
    EXPECT_EQ(h.cards.at("CUTCAT"), kCatalog.size() <= 68 ? kCatalog : "hybrid_cutouts.csv");
    EXPECT_EQ(h.cards.at("SEED"), "5");
    EXPECT_EQ(h.cards.at("BUNIT"), "electron/s");
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("PIXSCALE")), 0.1);
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("EXPTIME")), 2264.0);
  }
}

TEST_F(CliHybrid, SourceIsTheArcTotalAddsItWithPoissonNoiseAndTheSeedFixesTheFile) {
  const double mag = 22.0, flux = std::pow(10.0, -0.4 * (mag - 25.9));  // e-/s at the cutout's zero point
  write_text(work() / "h.yaml", scene("magnitude: 22.0, center_x: 0.25, center_y: 0.1"));
  ASSERT_EQ(run("render h.yaml -o a.fits --no-png --seed 3").status, 0);
  ASSERT_EQ(run("render h.yaml -o b.fits --no-png --seed 3").status, 0);
  ASSERT_EQ(run("render h.yaml -o c.fits --no-png").status, 0);  // seed 0
  const auto a = read_fits(work() / "a.fits"), b = read_fits(work() / "b.fits"), c = read_fits(work() / "c.fits");
  const Hdu &total = hdu(a, "TOTAL"), &src = hdu(a, "SOURCE"), &cut = hdu(a, "CUTOUT");
  EXPECT_EQ(hdu(b, "TOTAL").pixels, total.pixels);  // same seed, same image
  EXPECT_NE(hdu(c, "TOTAL").pixels, total.pixels);
  EXPECT_EQ(hdu(c, "SOURCE").pixels, src.pixels);   // the arc does not depend on the seed
  EXPECT_EQ(hdu(c, "TOTAL").cards.at("SEED"), "0");

  // SOURCE is hybrid_arc of the scene on the row (the cutout's grid and PSF).
  const lensforge::SceneFile f = lensforge::load_scene_yaml((work() / "h.yaml").string());
  const lensforge::ImageF arc = lensforge::hybrid_arc(catalog_row(), f.scene, f.options.supersampling);
  double arc_sum = 0.0;
  for (long i = 0; i < src.ny; ++i)
    for (long j = 0; j < src.nx; ++j) {
      ASSERT_EQ(src.pixels[std::size_t(i * src.nx + j)], arc(i, j));
      arc_sum += arc(i, j);
    }
  EXPECT_NEAR(sum(src.pixels), arc_sum, 1e-6 * arc_sum);
  // A source 0.27" from the axis inside the 1.4" Einstein radius is magnified (several times).
  EXPECT_GT(arc_sum, 2.0 * flux);
  // TOTAL - CUTOUT carries the arc's flux within its Poisson noise (5 sigma, t = 2264 s).
  double painted = 0.0;
  for (std::size_t k = 0; k < total.pixels.size(); ++k) painted += double(total.pixels[k]) - cut.pixels[k];
  const double t = 2264.0;
  EXPECT_NEAR(painted, arc_sum, 5.0 * std::sqrt(arc_sum * t) / t + 1e-4 * arc_sum);

  // Unlensed (a negligible deflector): SOURCE carries the magnitude at the cutout's zero point 25.9
  // (1% for the supersampled Sersic and the PSF's 5-sigma truncation).
  write_text(work() / "flat.yaml", "cutout: {catalog: " + kCatalog + ", name: " + kCutout +
                                       "}\nlens:\n  - {type: SIS, z: 0.3, theta_E: 1.0e-6, center_x: 0, center_y: 0}\n"
                                       "source_light:\n  - {type: SERSIC_ELLIPSE, z: 1.5, magnitude: 22.0, R_sersic: "
                                       "0.15, n_sersic: 1, e1: 0.1, e2: 0.05, center_x: 0.25, center_y: 0.1}\n");
  ASSERT_EQ(run("render flat.yaml -o flat.fits --no-png").status, 0);
  EXPECT_NEAR(sum(hdu(read_fits(work() / "flat.fits"), "SOURCE").pixels), flux, 0.01 * flux);
}

TEST_F(CliHybrid, BadHybridScenesExitWithStatus2AndOneLine) {
  const std::string src = "magnitude: 22, center_x: 0.2, center_y: 0.1";
  struct Case {
    std::string name, text, part;
  };
  const std::vector<Case> cases = {
      {"lens_light",
       scene(src, "lens_light:\n  - {type: SERSIC, flux: 10, R_sersic: 0.5, n_sersic: 4, center_x: 0, center_y: 0}\n"),
       "lens_light: 1 entry, but a cutout scene has none: the real pixels of cutout '" + kCutout + "'"},
      {"unknown", scene(src, "", "nope"), "cutout.name = 'nope' (band VIS): no such cutout in " + kCatalog},
      {"grid", scene(src, "grid: {num_pix: 96, pixel_scale: 0.12}\n"),
       "grid.pixel_scale = 0.12: cutout '" + kCutout + "' is 0.1\"/px"},
      {"gridsize", scene(src, "grid: {num_pix: 100, pixel_scale: 0.1}\n"), "grid.num_pix = 100: cutout '" + kCutout},
      {"psf", scene(src, "psf: {type: GAUSSIAN, fwhm: 0.2}\n"), "psf: a cutout scene uses the PSF of cutout"},
      {"zp", scene(src, "magnitude_zero_point: 25.0\n"), "magnitude_zero_point = 25: cutout '" + kCutout},
      {"nocat", "cutout: {catalog: missing.csv, name: x}\n" + scene(src).substr(scene(src).find("lens:")),
       "cutout.catalog: cannot open hybrid catalog"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    write_text(work() / (c.name + ".yaml"), c.text);
    const auto before = files();
    expect_bad_input(run("render " + c.name + ".yaml -o out.fits"), c.part, before);
  }
  // --seed needs a cutout (or --survey); a cutout scene does not go through --survey.
  write_text(work() / "plain.yaml", "grid: {num_pix: 8, pixel_scale: 0.1}\nlens:\n  - {type: SIS, z: 0.3, theta_E: 0.5, center_x: 0, center_y: 0}\n"
                                    "source_light:\n  - {type: GAUSSIAN, z: 1.0, flux: 1, sigma: 0.1, center_x: 0, center_y: 0}\n");
  write_text(work() / "good.yaml", scene(src));
  auto before = files();
  expect_bad_input(run("render plain.yaml -o out.fits --seed 2"), "--seed 2: plain.yaml has no cutout", before);
  expect_bad_input(run("render good.yaml -o out.fits --survey euclid --configs " LENSFORGE_SOURCE_DIR "/configs"),
                   "good.yaml has a cutout (line 1)", before);
}

TEST_F(CliHybrid, ShippedHybridSceneRenders) {
  const Result r = run("render " LENSFORGE_SOURCE_DIR "/configs/scenes/hybrid_ngc2274.yaml -o h.fits --seed 3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(files(), (std::vector<std::string>{"h.fits", "h.png"}));
  const auto hdus = read_fits(work() / "h.fits");
  EXPECT_EQ(hdus.at(0).cards.at("CUTCAT"), "../../catalogs/hybrid_cutouts.csv");
  EXPECT_GT(sum(hdu(hdus, "SOURCE").pixels), 0.0);
}
