// Real-galaxy sources (INTERPOL stamps from a CSV catalog) and hybrid images (arcs painted on real
// cutouts): stamp reproduction, flux conservation and magnification, bit-identical negatives,
// painted magnitudes, catalog errors naming the row.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <tuple>

#include "test_support.hpp"
#include "lensforge/sim/config/scene_yaml.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/light/stamp_library.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/sim/population/sampler.hpp"
#include "lensforge/sim/render/hybrid.hpp"
#include "lensforge/sim/render/renderer.hpp"

using namespace lensforge;

namespace {

const std::string kCatalogs = std::string(LENSFORGE_SOURCE_DIR) + "/catalogs";

const StampLibrary& library() {
  static const StampLibrary lib = load_stamp_library(kCatalogs + "/real_galaxies.csv");
  return lib;
}

// A scene whose only light is `light`, unlensed (lens light on a lens plane with no mass effect
// on it), rendered on `grid`.
ImageF render_unlensed(const LightProfile& light, const PixelGrid& grid, int supersampling) {
  Scene s;
  s.lens_planes.push_back(LensPlane{0.5, {Sis{1.0, 0.0, 0.0}}});
  s.lens_light.push_back(LightComponent{light, 0.5, {}});
  s.sources.push_back(LightComponent{Gaussian{0.0, 0.1}, 2.0, {}});
  s.z_source_convention = 2.0;
  RenderOptions o;
  o.grid = grid;
  o.supersampling = supersampling;
  return render(s, o).lens_light;
}

std::string temp_dir() { return test::test_dir("lensforge_real_"); }
using test::write_text;

std::string catalog_error(const std::string& path) {
  try {
    load_stamp_library(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(RealGalaxy, LibraryLoadsAndMeasuresTheStamp) {
  const StampLibrary& lib = library();
  ASSERT_EQ(lib.entries.size(), 2u);
  const StampEntry& e = lib.entries[0];
  EXPECT_EQ(e.name, "cosmos_147246");
  EXPECT_NEAR(e.pixel_scale, 0.03, 1e-6);  // from the CD matrix of the header
  EXPECT_FALSE(e.redshift.has_value());
  EXPECT_TRUE(lib.entries[1].redshift.has_value());
  EXPECT_NEAR(e.stamp->sum(), 1.0, 1e-12);
  EXPECT_NEAR(e.magnitude, e.zero_point - 2.5 * std::log10(e.flux), 1e-12);
  EXPECT_GT(e.size, 0.03);
  EXPECT_LT(e.size, 1.0);
  // Query ranges.
  EXPECT_EQ(select_stamps(lib, {}).size(), 2u);
  StampQuery z;
  z.redshift_min = 0.5;
  EXPECT_EQ(select_stamps(lib, z), std::vector<std::size_t>{1});
  StampQuery m;
  m.magnitude_min = e.magnitude + 0.1;
  EXPECT_TRUE(select_stamps(lib, m).empty());
}

TEST(RealGalaxy, UnlensedAtItsOwnPixelScaleReproducesTheStamp) {
  const StampEntry& e = library().entries[0];
  const ImageD& st = *e.stamp;
  const PixelGrid grid{int(st.cols()), int(st.rows()), e.pixel_scale, 0.0, 0.0};
  const double flux = 1234.5;
  const ImageF img = render_unlensed(stamp_profile(e, flux, 0.0, 0.0, 0.0, false), grid, 1);
  const double peak = flux * st.maxCoeff();
  const double err = (img.cast<double>() - flux * st).abs().maxCoeff();
  EXPECT_LT(err, 1e-3 * peak) << "max |rendered - stamp| = " << err << ", peak " << peak;
  // Half a pixel off, the image differs (the test above is not trivially true).
  const ImageF shifted = render_unlensed(stamp_profile(e, flux, 0.5 * e.pixel_scale, 0.0, 0.0, false), grid, 1);
  EXPECT_GT((shifted.cast<double>() - flux * st).abs().maxCoeff(), 1e-2 * peak);
}

TEST(RealGalaxy, SupersampledRenderConservesFluxUnderRotationFlipAndRescaling) {
  const StampEntry& e = library().entries[0];
  const double flux = 100.0;
  for (const auto& [rot, flip, scale] : {std::tuple{0.7, true, 0.045}, std::tuple{2.1, false, 0.02}}) {
    const InterpolatedImage p = stamp_profile(e, flux, 0.013, -0.021, rot, flip, scale);
    const PixelGrid grid{128, 128, 0.05, 0.0, 0.0};  // 6.4": holds the 96 * 0.045 = 4.3" stamp rotated
    const ImageF img = render_unlensed(p, grid, 4);
    EXPECT_NEAR(img.cast<double>().sum(), flux, 2e-3 * flux) << "rotation " << rot;
  }
  // The flip mirrors: the flipped, unrotated stamp at x equals the plain one at -x.
  const InterpolatedImage a = stamp_profile(e, 1.0, 0.0, 0.0, 0.0, false);
  const InterpolatedImage b = stamp_profile(e, 1.0, 0.0, 0.0, 0.0, true);
  for (double x : {0.1, -0.37, 0.55})
    EXPECT_DOUBLE_EQ(surface_brightness(a, x, 0.21), surface_brightness(b, -x, 0.21));
}

TEST(RealGalaxy, LensedFluxIsMagnificationTimesFlux) {
  // A small stamp (0.002"/px: 0.19" across) at beta = 1.5" behind an SIS of theta_E = 0.5": one
  // image, far from the caustic, with mu = 1 + theta_E / beta.
  const StampEntry& e = library().entries[0];
  const double flux = 50.0, beta = 1.5, theta_E = 0.5;
  Scene s;
  s.lens_planes.push_back(LensPlane{0.5, {Sis{theta_E, 0.0, 0.0}}});
  s.sources.push_back(LightComponent{stamp_profile(e, flux, beta, 0.0, 0.4, false, 0.002), 2.0, {}});
  s.z_source_convention = 2.0;
  RenderOptions o;
  o.grid = PixelGrid{64, 64, 0.01, 2.0, 0.0};  // centred on the image at theta = beta + theta_E
  o.supersampling = 8;
  const double total = render(s, o).source.cast<double>().sum();
  // Expected: every stamp pixel k (flux f_k, at source position beta_k) magnified by
  // mu(beta_k) = 1 + theta_E / |beta_k| (mu varies by 2% across the source, and the stamp's light
  // is not symmetric, so mu at the centre alone is off by ~1%).
  const InterpolatedImage& im = std::get<InterpolatedImage>(s.sources[0].profile);
  const ImageD& st = *im.stamp;
  double expect = 0.0;
  const double c = std::cos(im.rotation), sn = std::sin(im.rotation);
  for (Eigen::Index i = 0; i < st.rows(); ++i)
    for (Eigen::Index j = 0; j < st.cols(); ++j) {
      const double u = (double(j) - 0.5 * double(st.cols() - 1)) * im.pixel_scale;
      const double v = (double(i) - 0.5 * double(st.rows() - 1)) * im.pixel_scale;
      const double bx = im.center_x + c * u - sn * v, by = im.center_y + sn * u + c * v;
      expect += flux * st(i, j) * (1.0 + theta_E / std::hypot(bx, by));
    }
  EXPECT_NEAR(total, expect, 2e-3 * expect);
  const double mu = 1.0 + theta_E / beta;
  EXPECT_NEAR(total / flux, mu, 0.02 * mu);
  EXPECT_GT(std::abs(total / flux - 1.0), 0.3);  // really magnified
}

TEST(RealGalaxy, SceneFileReadsARealGalaxySource) {
  const std::string dir = temp_dir();
  const std::string yaml = R"(grid: {nx: 64, ny: 64, pixel_scale: 0.05}
magnitude_zero_point: 25.0
lens: [{type: SIS, z: 0.5, theta_E: 1.0, center_x: 0, center_y: 0}]
source_light:
  - {type: REAL_GALAXY, z: 2.0, catalog: )" + kCatalogs + R"(/real_galaxies.csv, row: cosmos_147246,
     magnitude: 22.5, center_x: 0.1, center_y: 0.0, rotation: 0.5, flip: true, pixel_scale: 0.02}
)";
  const SceneFile f = parse_scene_yaml(yaml, dir + "/scene.yaml");
  const auto& im = std::get<InterpolatedImage>(f.scene.sources.at(0).profile);
  EXPECT_EQ(im.id, "cosmos_147246");
  EXPECT_NEAR(im.amp, flux_from_magnitude(22.5, 25.0), 1e-12);
  EXPECT_EQ(im.pixel_scale, 0.02);
  EXPECT_TRUE(im.flip);
  EXPECT_EQ(im.rotation, 0.5);
  EXPECT_STREQ(name(f.scene.sources[0].profile), "INTERPOL");
  // An unknown row names the rows there are.
  std::string bad = yaml;
  bad.replace(bad.find("row: cosmos_147246"), 18, "row: nosuch");
  try {
    parse_scene_yaml(bad, dir + "/scene.yaml");
    FAIL() << "expected an error";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("no such row"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("cosmos_147246_z1"), std::string::npos) << err.what();
  }
}

TEST(RealGalaxy, CatalogErrorsNameTheRow) {
  const std::string dir = temp_dir();
  const std::string stamp = kCatalogs + "/real/cosmos_147246_F814W.fits";
  // A stamp without any pixel-scale card.
  FitsImageHdu h;
  h.data = ImageF::Constant(16, 16, 1.0f);
  write_fits(dir + "/noscale.fits", {h});
  const std::string head = "name,file,hdu,pixel_scale,zero_point,redshift,psf_fwhm\n";
  const std::string good = "ok," + stamp + ",0,0.03,25,,0.1\n";
  struct Case {
    std::string row, expect;
  };
  const Case cases[] = {
      {"gone,missing.fits,0,0.03,25,,0.1", "file '" + dir + "/missing.fits' not found"},
      {"noscale," + dir + "/noscale.fits,0,header,25,,0.1", "has no PIXSCALE, CD or CDELT"},
      {"noscale2," + dir + "/noscale.fits,0,,25,,0.1", "pixel_scale is unknown"},
      {"badhdu," + stamp + ",3,0.03,25,,0.1", "hdu '3'"},
      {"badext," + stamp + ",SCI,0.03,25,,0.1", "hdu 'SCI'"},
      {"badzp," + stamp + ",0,0.03,abc,,0.1", "zero_point = 'abc'"},
  };
  for (const Case& c : cases) {
    const std::string path = write_text(dir + "/cat.csv", head + good + c.row + "\n");
    const std::string msg = catalog_error(path);
    const std::string name = c.row.substr(0, c.row.find(','));
    EXPECT_NE(msg.find(path + ":3: row '" + name + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
  // The hybrid catalog reports the same way.
  const std::string hpath = write_text(
      dir + "/hyb.csv",
      "name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time\n"
      "c1,VIS,nothere.fits,0,0.1,25,0.2,0.3,250,1000\n");
  try {
    load_hybrid_catalog(hpath);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(hpath + ":2: row 'c1': file"), std::string::npos) << e.what();
  }
}

namespace {
// The NGC 2274 demonstration cutout (64x64, 0.12825"/px, sky not subtracted) in a catalog of its own:
// catalogs/hybrid_cutouts.csv holds the VIS-like library (test_cutout_library.cpp).
const HybridCutout& cutout() {
  static const std::vector<HybridCutout> cs = load_hybrid_catalog(write_text(
      temp_dir() + "/ngc2274.csv",
      "name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time\n"
      "ngc2274,F814W," + kCatalogs + "/real/ngc2274_hst.fits,SCI,header,25.94,0.1,0.0256,260,2000\n"));
  return cs.at(0);
}
}  // namespace

TEST(Hybrid, CatalogAndEinsteinRadius) {
  const HybridCutout& c = cutout();
  EXPECT_EQ(c.name, "ngc2274");
  EXPECT_NEAR(c.pixel_scale, 0.12825, 1e-6);
  EXPECT_EQ(c.pixels.rows(), 64);
  const FlatLambdaCDM cosmo;
  // SIS: theta_E = 4 pi (sigma/c)^2 D_ls / D_s.
  const double zs = 1.5, c_kms = 299792.458;
  const double expect = 4.0 * std::numbers::pi * std::pow(c.sigma_v.value() / c_kms, 2) *
                        cosmo.angular_diameter_distance(c.z_lens, zs) / cosmo.angular_diameter_distance(zs) * 206264.806;
  EXPECT_NEAR(hybrid_theta_E(c, cosmo, zs), expect, 1e-6 * expect);
  EXPECT_THROW(hybrid_theta_E(c, cosmo, 0.01), ConfigError);
}

TEST(Hybrid, ZeroFluxSourceLeavesTheCutoutBitIdentical) {
  const HybridCutout& c = cutout();
  Rng rng(7, 0);
  const LightComponent src{Sersic{0.0, 0.2, 1.0, 0.0, 0.0, 0.1, 0.05}, 1.5, {}};
  const HybridImage h = render_hybrid(c, FlatLambdaCDM(), src, rng);
  ASSERT_EQ(h.image.rows(), c.pixels.rows());
  EXPECT_EQ(0, std::memcmp(h.image.data(), c.pixels.data(), sizeof(double) * c.pixels.size()));
  EXPECT_GT(h.theta_E, 0.5);
}

TEST(Hybrid, PaintedArcsCarryTheRequestedMagnitudeWithinTheNoise) {
  const HybridCutout& c = cutout();
  const FlatLambdaCDM cosmo;
  const double mag = 17.0, flux = flux_from_magnitude(mag, c.zero_point);  // e-/s
  // A real-galaxy source (COSMOS stamp, 0.03"/px on the source plane) near the optical axis,
  // sampled finer than its pixels (8 x 8 sub-pixels of 0.016"): point sampling conserves flux only
  // when the sub-pixels are no coarser than the stamp's pixels.
  const StampEntry& e = library().entries[0];
  const LightComponent src{stamp_profile(e, flux, 0.15, 0.05, 1.0, false, 0.03), 1.5, {}};
  HybridSystem sys = hybrid_system(c, cosmo, src, 0.0, 0.0, 8);
  // Unlensed (a negligible deflector): the painted light carries the requested magnitude.
  HybridSystem flat = sys;
  flat.scene.lens_planes[0].profiles[0] = Sie{1e-8, 0.0, 0.0, 0.0, 0.0};
  Rng rng(11, 0);
  const ImageF arc0 = render(flat.scene, flat.options).source;
  const ImageD painted0 = paint_arc(c.pixels, arc0, c.exposure_time, rng);
  const double got0 = (painted0 - c.pixels).sum();
  const double sigma0 = std::sqrt(flux * c.exposure_time) / c.exposure_time;  // Poisson, e-/s
  EXPECT_NEAR(got0, flux, 5.0 * sigma0 + 1e-3 * flux);
  EXPECT_NEAR(c.zero_point - 2.5 * std::log10(got0), mag, 0.01);
  // Lensed: the painted total is the noiseless arc's (magnified) flux within the noise.
  const HybridImage h = render_hybrid(c, cosmo, src, rng, 0.0, 0.0, 8);
  const double arc = h.arc.cast<double>().sum();
  EXPECT_GT(arc, 1.5 * flux);  // a source near the axis is strongly magnified
  const double got = (h.image - c.pixels).sum();
  EXPECT_NEAR(got, arc, 5.0 * std::sqrt(arc * c.exposure_time) / c.exposure_time);
  // Same seed, same image: image i depends only on its stream.
  Rng r1(3, 0), r2(3, 0);
  EXPECT_TRUE((render_hybrid(c, cosmo, src, r1).image == render_hybrid(c, cosmo, src, r2).image).all());
}

TEST(RealGalaxy, PopulationDrawsRotatedFlippedStampsAtTheDrawnMagnitude) {
  const GeneratorConfig cfg =
      load_generator_config(std::string(LENSFORGE_SOURCE_DIR) + "/configs/populations/euclid_real.yaml");
  const SceneObserver obs = make_observer(cfg);
  int lenses = 0, flipped = 0;
  std::vector<double> rotations;
  for (std::uint64_t i = 0; i < 40 && lenses < 8; ++i) {
    const SampleResult r = make_sample(cfg, obs, 5, i);
    if (r.kind != SampleClass::LENS) continue;
    ++lenses;
    const auto* im = std::get_if<InterpolatedImage>(&r.scene.sources.at(0).profile);
    ASSERT_NE(im, nullptr);
    EXPECT_EQ(im->pixel_scale, 0.01);
    EXPECT_TRUE(im->id == "cosmos_147246" || im->id == "cosmos_147246_z1");
    flipped += im->flip;
    rotations.push_back(im->rotation);
    // The component's magnitude in each band is its total flux (scene_for_survey rescales by it).
    EXPECT_EQ(r.scene.sources[0].magnitudes.size(), cfg.bands.size());
    // Same (seed, index), same draw.
    const SampleResult again = make_sample(cfg, obs, 5, i);
    EXPECT_EQ(std::get<InterpolatedImage>(again.scene.sources[0].profile).rotation, im->rotation);
  }
  ASSERT_GE(lenses, 4);
  EXPECT_GT(*std::max_element(rotations.begin(), rotations.end()) -
                *std::min_element(rotations.begin(), rotations.end()),
            0.5);
  // A query no row passes is an error naming the key.
  EXPECT_THROW(load_generator_config(std::string(LENSFORGE_SOURCE_DIR) + "/configs/populations/euclid_real.yaml", "",
                                     {"classes.lens.source.real_galaxy.magnitude=[40, 41]"}),
               ConfigError);
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, lenses);
}
