// Hybrid classes of a population (hybrid_lens, hybrid_nonlens, real_contaminant): negatives are the
// real pixels bit for bit, lenses carry the cutout's Einstein radius and a painted arc whose
// Poisson noise is all that separates them from the cutout, files equal make_sample, and config or
// catalog errors name the row or key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/population/cutout_library.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/sim/population/sampler.hpp"

using namespace lensforge;

namespace {

constexpr int kCut = 40;                 // cutout pixels per side (the band's images are 32)
constexpr double kSkySigma = 0.02;       // e-/s per pixel, Gaussian noise of the synthetic cutouts
constexpr double kExposure = 2000.0;     // s
constexpr double kZLens = 0.3, kSigmaV = 250.0, kZSource = 2.0;  // kZSource: as in config_text

// A synthetic "real" cutout: an elliptical Gaussian galaxy (or a point-like star) plus sky noise, at
// 0.1"/px with a PIXSCALE card.
ImageF synthetic_cutout(std::uint64_t seed, double peak, double width_pix) {
  Rng rng(seed, 0);
  ImageF img(kCut, kCut);
  for (int i = 0; i < kCut; ++i)
    for (int j = 0; j < kCut; ++j) {
      const double x = j - (kCut - 1) / 2.0, y = i - (kCut - 1) / 2.0;
      img(i, j) = float(peak * std::exp(-0.5 * (x * x / (width_pix * width_pix) + y * y / (0.6 * width_pix * width_pix))) +
                        kSkySigma * rng.normal());
    }
  return img;
}

class HybridPopulation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lensforge_hybrid_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
    const FitsWcs wcs{0.0, 0.0, 0.1};
    write_fits((dir_ / "gal_a.fits").string(), {FitsImageHdu{"SCI", synthetic_cutout(1, 2.0, 4.0), {}, wcs}});
    write_fits((dir_ / "gal_b.fits").string(), {FitsImageHdu{"SCI", synthetic_cutout(2, 1.0, 3.0), {}, wcs}});
    write_fits((dir_ / "star.fits").string(), {FitsImageHdu{"SCI", synthetic_cutout(3, 5.0, 0.8), {}, wcs}});
    write_catalog("cutouts.csv", "VIS,gal_a.fits,SCI,header");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// cutouts.csv with `first_row` (band,file,hdu,pixel_scale) as gal_a's row.
  void write_catalog(const std::string& name, const std::string& first_row) const {
    std::ofstream(dir_ / name) << "# synthetic cutouts in e-/s\n"
                                  "name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time,split\n"
                               << "gal_a," << first_row << ",25.9,0.16," << kZLens << "," << kSigmaV << "," << kExposure
                               << ",train\n"
                               << "gal_b,VIS,gal_b.fits,SCI,0.1,25.9,0.16,0.25,220," << kExposure << ",train\n"
                               << "star,VIS,star.fits,0,header,25.9,0.16,0.1,100," << kExposure << ",contaminant\n";
  }

  std::string config_text(const std::string& extra_lens_keys = "", const std::string& bands = "[VIS]",
                           int size = 32) const {
    return "survey: {preset: euclid, bands: " + bands + ", image_size: " + std::to_string(size) +
           "}\n"
           "observation: {supersampling: 2}\n"
           "class_block: 10\n"
           "criterion: {band: VIS, k_sigma: 1.0, min_images: 1, min_lensed_pixels: 5, min_magnification: 1.5,\n"
           "            min_arc_snr: 5, on_failure: redraw, max_attempts: 30}\n"
           "classes:\n"
           "  hybrid_lens:\n"
           "    fraction: 0.5\n"
           "    cutout: {catalog: cutouts.csv, split: train}\n"
           "    mass: {profile: SIE, q: {dist: uniform, min: 0.7, max: 1.0}, phi: {dist: uniform, min: 0, max: 3.14}}\n"
           "    shear: {gamma1: 0.02, gamma2: -0.01}\n"
           "    source: {z: " +
           "2.0" +
           ", beta: {dist: uniform, min: 0, max: 0.4}, R_sersic: 0.2, n_sersic: 1, magnitude: 21.5" + extra_lens_keys +
           "}\n"
           "  hybrid_nonlens: {fraction: 0.3, cutout: {catalog: cutouts.csv, split: train}}\n"
           "  real_contaminant: {fraction: 0.2, cutout: {catalog: cutouts.csv, split: contaminant, dihedral: false}}\n";
  }

  GeneratorConfig config(const std::string& text) const {
    return parse_generator_config(text, "hybrid.yaml", dir_.string(), std::string(LENSFORGE_SOURCE_DIR) + "/configs");
  }

  std::string config_error(const std::string& text) const {
    try {
      config(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }

  /// The centre 32x32 of a cutout file, transformed as the label says, in e-/s.
  ImageD expected_cutout(const std::string& file, int transform) const {
    const ImageD full = read_fits_image((dir_ / file).string(), -1).data;
    return dihedral(ImageD(full.block(4, 4, 32, 32)), transform);
  }

  std::filesystem::path dir_;
};

std::string label_string(const SampleResult& r, const GeneratorConfig& c, const char* name) {
  return std::get<std::string>(r.labels[label_index(label_columns(c), name)]);
}
double label_double(const SampleResult& r, const GeneratorConfig& c, const char* name) {
  return std::get<double>(r.labels[label_index(label_columns(c), name)]);
}
std::int64_t label_int(const SampleResult& r, const GeneratorConfig& c, const char* name) {
  return std::get<std::int64_t>(r.labels[label_index(label_columns(c), name)]);
}

}  // namespace

bool same(const ImageD& a, const ImageD& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && (a == b).all();
}

TEST(Dihedral, IsTheGroupOfTheSquare) {
  ImageD a(3, 3);
  a << 1, 2, 3, 4, 5, 6, 7, 8, 9;
  ImageD quarter(3, 3);  // out(i, j) = in(j, n - 1 - i)
  quarter << 3, 6, 9, 2, 5, 8, 1, 4, 7;
  EXPECT_TRUE(same(dihedral(a, 1), quarter));
  EXPECT_TRUE(same(dihedral(dihedral(a, 1), 3), a));
  EXPECT_TRUE(same(dihedral(dihedral(a, 4), 4), a));
  for (int t = 0; t < 8; ++t)
    for (int u = t + 1; u < 8; ++u) EXPECT_FALSE(same(dihedral(a, t), dihedral(a, u))) << t << " vs " << u;
}

TEST_F(HybridPopulation, NegativesAreTheRealPixelsBitForBit) {
  const GeneratorConfig cfg = config(config_text());
  const SceneObserver obs = make_observer(cfg);
  int nonlens = 0, contaminants = 0;
  for (std::uint64_t i = 0; i < 20; ++i) {
    const SampleResult r = make_sample(cfg, obs, 7, i);
    if (r.kind == SampleClass::HYBRID_LENS) continue;
    const std::string name = label_string(r, cfg, "cutout_name");
    const int t = int(label_int(r, cfg, "cutout_transform"));
    EXPECT_EQ(r.label, 0);
    EXPECT_TRUE(std::isnan(label_double(r, cfg, "lens_theta_E")));
    if (r.kind == SampleClass::REAL_CONTAMINANT) {
      ++contaminants;
      EXPECT_EQ(name, "star");
      EXPECT_EQ(t, 0);  // dihedral: false
    } else {
      ++nonlens;
      EXPECT_TRUE(name == "gal_a" || name == "gal_b") << name;
      EXPECT_GE(t, 0);
      EXPECT_LT(t, 8);
    }
    // e-/s output, equal zero points: the stored image is the cutout itself.
    const ImageF want = expected_cutout(name + ".fits", t).cast<float>();
    const ImageF& got = r.bands[0].observed.image;
    ASSERT_EQ(got.rows(), 32);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * want.size()), 0) << "index " << i;
    EXPECT_EQ(r.bands[0].observed.mask.maxCoeff(), 0);
  }
  EXPECT_EQ(nonlens, 6);  // class_block 10: exactly 3 + 2 per block
  EXPECT_EQ(contaminants, 4);
}

TEST_F(HybridPopulation, LensesCarryTheCutoutsEinsteinRadiusAndAPaintedArc) {
  const GeneratorConfig cfg = config(config_text());
  const SceneObserver obs = make_observer(cfg);
  const FlatLambdaCDM cosmo = cfg.cosmology;
  const Band& vis = cfg.bands[0];
  int lenses = 0;
  for (std::uint64_t i = 0; i < 20; ++i) {
    const SampleResult r = make_sample(cfg, obs, 7, i);
    if (r.kind != SampleClass::HYBRID_LENS) continue;
    ++lenses;
    const std::string name = label_string(r, cfg, "cutout_name");
    const double z_l = name == "gal_a" ? kZLens : 0.25, sigma_v = name == "gal_a" ? kSigmaV : 220.0;
    EXPECT_EQ(label_double(r, cfg, "lens_z"), z_l);
    EXPECT_EQ(label_double(r, cfg, "lens_sigma_v"), sigma_v);
    EXPECT_NEAR(label_double(r, cfg, "lens_theta_E"), cosmo.sis_theta_E(sigma_v, z_l, kZSource), 1e-12);
    EXPECT_EQ(label_int(r, cfg, "criterion_passed"), 1);
    EXPECT_EQ(r.label, 1);

    const BandObservation& b = r.bands[0];
    const ImageD cut = expected_cutout(name + ".fits", int(label_int(r, cfg, "cutout_transform")));
    double painted = 0.0, arc = 0.0;
    for (Eigen::Index k = 0; k < cut.size(); ++k) {
      const double s = b.source.data()[k];
      arc += s;
      if (s == 0.0)  // no arc here: the real pixel, bit for bit
        ASSERT_EQ(b.observed.image.data()[k], float(cut.data()[k])) << "pixel " << k;
      else
        painted += double(b.observed.image.data()[k]) - cut.data()[k];
    }
    // The painted electrons are Poisson(arc t): within 5 sigma (+ float rounding of the sum).
    EXPECT_NEAR(painted, arc, 5.0 * std::sqrt(arc * kExposure) / kExposure + 1e-4 * arc) << "index " << i;
    // The noiseless arc holds the lensed flux the labels give (magnification measured without PSF in
    // the same cutout; the 0.16" PSF spills at most a few per cent over the border).
    const double lensed = vis.flux(label_double(r, cfg, "source1_lensed_mag_VIS"));
    EXPECT_NEAR(arc, lensed, 0.03 * lensed) << "index " << i;
    EXPECT_GT(label_double(r, cfg, "source1_magnification"), 1.5);
    // sigma: the cutout's border noise and the Poisson noise of what is in the pixel.
    const ImageF& sigma = b.observed.sigma;
    EXPECT_NEAR(sigma(0, 0), std::sqrt(kSkySigma * kSkySigma + std::max(double(b.noiseless(0, 0)), 0.0) / kExposure),
                0.25 * kSkySigma);  // the border MAD estimates kSkySigma from 4 x 4 x 32 pixels
  }
  EXPECT_EQ(lenses, 10);
}

TEST_F(HybridPopulation, FilesEqualMakeSampleForAnyThreadCount) {
  const GeneratorConfig cfg = config(config_text());
  const SceneObserver obs = make_observer(cfg);
  GenerateOptions g;
  g.output = (dir_ / "hybrid.h5").string();
  g.num_images = 10;
  g.seed = 3;
  g.threads = 2;
  generate_dataset(cfg, g);
  const DatasetReader file(g.output);
  const auto names = std::get<std::vector<std::string>>(file.read_label("cutout_name"));
  for (std::uint64_t i = 0; i < 10; ++i) {
    const SampleResult r = make_sample(cfg, obs, 3, i);
    const ImageF img = file.read_image("VIS", std::int64_t(i));
    EXPECT_EQ(std::memcmp(img.data(), r.bands[0].observed.image.data(), sizeof(float) * img.size()), 0);
    EXPECT_EQ(names[i], label_string(r, cfg, "cutout_name"));
  }
}

TEST_F(HybridPopulation, ErrorsNameTheRowOrKey) {
  write_catalog("cutouts.csv", "VIS,gal_a.fits,SCI,0.12");
  std::string e = config_error(config_text());
  EXPECT_NE(e.find("cutouts.csv:3: row 'gal_a' (band VIS): pixel scale 0.12\" is not the band's 0.1\""),
            std::string::npos)
      << e;
  write_catalog("cutouts.csv", "VIS,gal_a.fits,SCI,header");
  e = config_error(config_text("", "[VIS, Y]"));
  EXPECT_NE(e.find("cutout 'gal_a' has no row for band Y"), std::string::npos) << e;
  e = config_error(config_text("", "[VIS]", 31));
  EXPECT_NE(e.find("40x40 pixels cannot be centre-cropped to the band's 31x31"), std::string::npos) << e;
  std::string text = config_text();
  text.replace(text.find("split: train"), 12, "split: nope");
  e = config_error(text);
  EXPECT_NE(e.find("no cutout of"), std::string::npos) << e;
  EXPECT_NE(e.find("has split 'nope'; its splits: 'train', 'contaminant'"), std::string::npos) << e;
  text = config_text();
  text.replace(text.find("z: 2.0"), 6, "z: 0.28");
  e = config_error(text);
  EXPECT_NE(e.find("classes.hybrid_lens.source.z"), std::string::npos) << e;
  EXPECT_NE(e.find("z_lens = 0.3 of cutout 'gal_a'"), std::string::npos) << e;
  text = config_text();
  text.replace(text.find("profile: SIE"), 12, "theta_E: 1.0");
  e = config_error(text);
  EXPECT_NE(e.find("theta_E"), std::string::npos) << e;
  EXPECT_NE(e.find("theta_E comes from the cutout"), std::string::npos) << e;
}
