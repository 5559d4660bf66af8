// make_sample: images are a function of (seed, index) only, class fractions hold exactly in every
// block, every class draws what it says, labels agree with the returned images, the lens
// criterion redraws or relabels, and derived parameters follow their formulas.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <string>

#include "lensforge/sim/mass/ellipticity.hpp"
#include "lensforge/sim/population/sampler.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

// Small grids keep each sample well under a millisecond of rendering: VIS 4.8" at 0.1"/px, H at 0.3"/px.
const std::string kHeader = R"(survey: {preset: euclid, bands: [VIS, H], image_size: {VIS: 48, H: 16}}
observation: {supersampling: 2, noise: true, artefacts: false}
catalogs: {lenses: lenses.csv}
class_block: 10
criterion: {band: VIS, k_sigma: 1, min_images: 1, min_lensed_pixels: 10, min_magnification: 1.5, on_failure: redraw, max_attempts: 10}
store: {kappa: true}
classes:
)";

// Einstein radii 1.0"-1.6" (sigma_v 260-300 km/s): the arcs fit in the VIS cutout.
const std::string kCatalog = "z_lens,sigma_v,z_source\n0.3,260,1.5\n0.5,280,2.0\n0.4,300,2.5\n";

std::string lens_class(double fraction, const std::string& beta = "{dist: uniform, min: 0, max: 0.5}",
                       const std::string& q = "{dist: uniform, min: 0.7, max: 1}") {
  return "  lens:\n    fraction: " + std::to_string(fraction) + R"(
    deflector:
      z: {dist: catalog, catalog: lenses, column: z_lens}
      mass: {profile: SIE, sigma_v: {dist: catalog, catalog: lenses, column: sigma_v}, q: )" + q + R"(, phi: {dist: uniform, min: 0, max: 3.1}}
      shear: {gamma1: {dist: uniform, min: -0.03, max: 0.03}, gamma2: 0.01}
      light: {R_sersic: 0.3, n_sersic: 0.5, magnitude: 19.5, colours: {H: -1.0}}
    source:
      z: {dist: catalog, catalog: lenses, column: z_source}
      beta: )" + beta + R"(
      R_sersic: 0.15
      n_sersic: 1
      knots: {count: {dist: choice, values: [0, 2]}, sigma: 0.03, flux_fraction: 0.2, radius: 1}
      magnitude: {dist: uniform, min: 21.5, max: 22.5}
      colours: {H: 0.2}
      lensed_magnitude: true
)";
}

const std::string kCompound = R"(  compound_arc:
    fraction: 1
    deflector:
      z: 0.3
      mass: {profile: EPL, theta_E: 1.2, gamma: {dist: uniform, min: 1.9, max: 2.1}, q: 0.8, phi: 0.3, nfw: {Rs: 5, alpha_Rs: 0.2}}
      light: {R_sersic: 0.4, n_sersic: 4, magnitude: 19.5, colours: {H: -1.0}}
    source: {z: 0.8, beta: 0.3, R_sersic: 0.15, n_sersic: 1, magnitude: 22, colours: {H: 0}, lensed_magnitude: true}
    source_mass: {profile: SIE, theta_E_ratio: 0.15, q: 0.7, phi: 1}
    second_source: {z: 2.4, beta: 0.2, R_sersic: 0.1, n_sersic: 1, magnitude: 23, colours: {H: 0}}
)";

// n = 0.5 is a Gaussian: sampled on sub-pixels its flux is exact to ~exp(-2 pi^2 sigma^2 / h^2).
const std::string kGalaxy = "{z: 0.2, R_sersic: 0.3, n_sersic: 0.5, q: 0.8, phi: 0.4, magnitude: 20, colours: {H: -0.5}";

// Every negative class, each with fraction f.
std::string negatives(const std::string& f) {
  std::string s = R"(  nonlens_galaxy:
    fraction: 0.2
    galaxy: )" + kGalaxy + R"(}
  nonlens_background:
    fraction: 0.1
    field: {count: {dist: choice, values: [1, 2, 3]}, half_width: 2, R_sersic: 0.2, n_sersic: 1, magnitude: 22}
  spiral:
    fraction: 0.2
    galaxy: )" + kGalaxy + R"(, arms: {n_arms: {dist: choice, values: [2, 3]}, amplitude: 0.6, pitch_angle: 0.3, r_arm: 0.3}}
    bulge: {R_sersic: 0.1, n_sersic: 3, magnitude: 21.5}
  ring_galaxy:
    fraction: 0.1
    galaxy: )" + kGalaxy + R"(}
    ring: {R_ring: {dist: uniform, min: 0.8, max: 1.5}, sigma: 0.1, magnitude: 21}
  merger:
    fraction: 0.1
    galaxy: )" + kGalaxy + R"(}
    companion: {separation: {dist: uniform, min: 0.5, max: 1.5}, R_sersic: 0.3, n_sersic: 1, magnitude: 20.5}
  companion:
    fraction: 0.2
    galaxy: )" + kGalaxy + R"(}
    companion: {separation: 1.2, R_sersic: 0.1, n_sersic: 1, q: 0.3, phi: 0, magnitude: 23}
  edge_on:
    fraction: 0.1
    galaxy: {R_sersic: 0.5, n_sersic: 1, q: {dist: uniform, min: 0.1, max: 0.3}, phi: 1, magnitude: 20}
)";
  for (auto pos = s.find("fraction: "); pos != std::string::npos; pos = s.find("fraction: ", pos + 1))
    s.replace(pos + 10, 3, f);
  return s;
}

/// Label rows equal value by value, NaN equal to NaN.
bool same_labels(const std::vector<LabelValue>& a, const std::vector<LabelValue>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].index() != b[k].index()) return false;
    if (const auto* x = std::get_if<double>(&a[k])) {
      const double y = std::get<double>(b[k]);
      if (!(*x == y || (std::isnan(*x) && std::isnan(y)))) return false;
    } else if (a[k] != b[k]) {
      return false;
    }
  }
  return true;
}

class PopulationSampler : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("lensforge_popsample_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "lenses.csv") << kCatalog;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static GeneratorConfig config(const std::string& classes, const std::string& header = kHeader) {
    return parse_generator_config(header + classes, "gen.yaml", dir_.string(), test::source_path("configs"));
  }

  static inline fs::path dir_;
};

/// `text` with the first `from` replaced by `to` (which must occur).
std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  if (pos == std::string::npos) throw std::logic_error("lacks '" + from + "'");
  return text.replace(pos, from.size(), to);
}

std::size_t col(const GeneratorConfig& c, const std::string& name) { return label_index(label_columns(c), name); }
double num(const GeneratorConfig& c, const SampleResult& r, const std::string& name) {
  return std::get<double>(r.labels[col(c, name)]);
}
std::int64_t integer(const GeneratorConfig& c, const SampleResult& r, const std::string& name) {
  return std::get<std::int64_t>(r.labels[col(c, name)]);
}

/// An index of class `kind` under seed 1 (searching the first 200).
std::uint64_t index_of(const GeneratorConfig& c, SampleClass kind) {
  for (std::uint64_t i = 0; i < 200; ++i)
    if (c.classes[class_index(c, 1, i)].kind == kind) return i;
  throw std::logic_error("class not found");
}

}  // namespace

TEST_F(PopulationSampler, SameSeedAndIndexGiveTheSameSample) {
  const GeneratorConfig c = config(lens_class(0.3) + negatives("0.1"));
  const SceneObserver obs = make_observer(c);
  for (std::uint64_t i : {0, 1, 2, 3, 4}) {
    const SampleResult a = make_sample(c, obs, 42, i), b = make_sample(c, obs, 42, i);
    EXPECT_TRUE(same_labels(a.labels, b.labels));
    ASSERT_EQ(a.bands.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_TRUE((a.bands[k].observed.image == b.bands[k].observed.image).all());
      EXPECT_TRUE((a.bands[k].noiseless == b.bands[k].noiseless).all());
    }
    EXPECT_EQ(integer(c, a, "index"), std::int64_t(i));
  }
  // Another index or another seed: another image.
  const SampleResult a = make_sample(c, obs, 42, 0), b = make_sample(c, obs, 42, 1), d = make_sample(c, obs, 43, 0);
  EXPECT_FALSE((a.bands[0].observed.image == b.bands[0].observed.image).all());
  EXPECT_FALSE((a.bands[0].observed.image == d.bands[0].observed.image).all());
  EXPECT_FALSE(same_labels(a.labels, b.labels));
}

TEST_F(PopulationSampler, ClassFractionsHoldExactlyInEveryBlock) {
  const GeneratorConfig c = config(lens_class(0.3) + negatives("0.1"));  // 3 lenses and 1 of each negative in 10
  const std::vector<int> per_block = class_counts_per_block(c);
  EXPECT_EQ(per_block, (std::vector<int>{3, 1, 1, 1, 1, 1, 1, 1}));
  for (std::uint64_t seed : {1, 2}) {
    std::vector<std::size_t> first_block;
    for (std::uint64_t block = 0; block < 5; ++block) {
      std::vector<int> n(c.classes.size(), 0);
      std::vector<std::size_t> order;
      for (std::uint64_t i = block * 10; i < block * 10 + 10; ++i) {
        order.push_back(class_index(c, seed, i));
        ++n[order.back()];
      }
      EXPECT_EQ(n, per_block) << "seed " << seed << ", block " << block;
      if (block == 0) first_block = order;
      if (block == 1) {
        EXPECT_NE(order, first_block);  // each block is shuffled on its own
      }
    }
  }
  // Quotas that are not whole numbers: the largest remainders get the places left over, ties to
  // the class listed first (10 x 1/3 -> 4, 3, 3).
  GeneratorConfig thirds = c;
  thirds.classes.resize(3);
  for (auto& cl : thirds.classes) cl.fraction = 1.0 / 3.0;
  EXPECT_EQ(class_counts_per_block(thirds), (std::vector<int>{4, 3, 3}));
  thirds.class_block = 7;  // 7/3 = 2.33 each
  EXPECT_EQ(class_counts_per_block(thirds), (std::vector<int>{3, 2, 2}));
}

TEST_F(PopulationSampler, LensesThatPassShowTheirSourceAndLabelsAgreeWithTheImages) {
  // 8" cutouts: the arcs (theta_E <= 1.9") mostly stay clear of the border.
  const GeneratorConfig c = config(lens_class(1.0), replace(kHeader, "VIS: 48, H: 16", "VIS: 80, H: 27"));
  const SceneObserver obs = make_observer(c);
  const Band& vis = c.bands[0];
  int clear_of_border = 0;
  for (std::uint64_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    const SampleResult r = make_sample(c, obs, 7, i);
    EXPECT_EQ(r.kind, SampleClass::LENS);
    EXPECT_EQ(std::get<std::string>(r.labels[col(c, "subtype")]), "lens");
    ASSERT_EQ(integer(c, r, "criterion_passed"), 1);
    EXPECT_EQ(integer(c, r, "class"), 1);
    EXPECT_EQ(r.label, 1);
    // Lensed pixels and arc S/N recomputed from the returned source image and sigma map (the
    // source is in e-/s, sigma in the output unit: observed.scale converts).
    const BandObservation& b = r.bands[0];
    const ImageF s = b.source * float(b.observed.scale);
    int pixels = 0;
    double snr2 = 0.0;
    for (Eigen::Index k = 0; k < s.size(); ++k) {
      const double v = s.data()[k], n = b.observed.sigma.data()[k];
      if (v > 1.0 * n) ++pixels, snr2 += (v / n) * (v / n);
    }
    EXPECT_GE(pixels, 10);
    EXPECT_EQ(integer(c, r, "lensed_pixels"), pixels);
    EXPECT_EQ(integer(c, r, "source1_lensed_pixels"), pixels);
    EXPECT_NEAR(num(c, r, "arc_snr"), std::sqrt(snr2), 1e-9 * std::sqrt(snr2));
    EXPECT_GE(integer(c, r, "n_images"), 1);
    EXPECT_GE(num(c, r, "source1_magnification"), 1.5);
    // theta_E derived from sigma_v with the drawn redshifts, and the scene's SIE carries it (one
    // plane: the convention redshift is the source's).
    const double theta_E = c.cosmology.sis_theta_E(num(c, r, "lens_sigma_v"), num(c, r, "lens_z"), num(c, r, "source1_z"));
    EXPECT_EQ(num(c, r, "lens_theta_E"), theta_E);
    // ... which is 4 pi (sigma_v / c)^2 D_ls / D_s in arcsec.
    const double v = num(c, r, "lens_sigma_v") / 299792.458;
    const double ratio = c.cosmology.angular_diameter_distance(num(c, r, "lens_z"), num(c, r, "source1_z")) /
                         c.cosmology.angular_diameter_distance(num(c, r, "source1_z"));
    EXPECT_NEAR(theta_E, 4.0 * std::numbers::pi * v * v * ratio * (180.0 / std::numbers::pi * 3600.0), 1e-12 * theta_E);
    EXPECT_EQ(std::get<Sie>(r.scene.lens_planes[0].profiles[0]).theta_E, theta_E);
    EXPECT_EQ(r.scene.z_source_convention, num(c, r, "source1_z"));
    // Magnitudes: the deflector light is unlensed, so its image holds band.flux(mag): a Gaussian
    // (n = 0.5) of sigma 0.26" loses nothing outside the 2.4" half-width, and the PSF keeps flux.
    for (std::size_t k = 0; k < 2; ++k) {
      const Band& band = c.bands[k];
      EXPECT_NEAR(r.bands[k].lens_light.cast<double>().sum() / band.flux(num(c, r, "galaxy_mag_" + band.name)), 1.0,
                  1e-5);
    }
    // intrinsic = lensed + 2.5 log10(mu); the lensed magnitude is what the VIS image holds
    // (magnification measured in this cutout without PSF) when the arcs stay clear of the border,
    // where the PSF would spill light out of the cutout.
    const double mu = num(c, r, "source1_magnification");
    EXPECT_NEAR(num(c, r, "source1_mag_VIS") - num(c, r, "source1_lensed_mag_VIS"), 2.5 * std::log10(mu), 1e-12);
    const double total = b.source.cast<double>().sum();
    const Eigen::Index n = b.source.rows();
    const double border = b.source.row(0).cast<double>().sum() + b.source.row(n - 1).cast<double>().sum() +
                          b.source.col(0).cast<double>().sum() + b.source.col(n - 1).cast<double>().sum();
    if (border < 1e-5 * total) {
      ++clear_of_border;
      EXPECT_NEAR(total / vis.flux(num(c, r, "source1_lensed_mag_VIS")), 1.0, 1e-4);
    }
    EXPECT_EQ(r.scene.sources[0].magnitudes.at("VIS"), num(c, r, "source1_mag_VIS"));
    // Sersic labels are the scene's.
    const LightProfile& sp = r.scene.sources[0].profile;
    const Sersic& host = std::holds_alternative<Sersic>(sp) ? std::get<Sersic>(sp) : std::get<ClumpySersic>(sp).host;
    EXPECT_EQ(host.R_sersic, num(c, r, "source1_R_sersic"));
    EXPECT_EQ(host.e1, num(c, r, "source1_e1"));
    EXPECT_EQ(host.center_x, num(c, r, "source1_center_x"));
    const double beta = std::hypot(host.center_x - num(c, r, "lens_center_x"), host.center_y - num(c, r, "lens_center_y"));
    EXPECT_NEAR(beta, num(c, r, "source1_beta") * theta_E, 1e-12);
    // Columns that do not apply: NaN / -1.
    EXPECT_TRUE(std::isnan(num(c, r, "lens2_theta_E")));
    EXPECT_EQ(integer(c, r, "source2_n_images"), -1);
  }
  EXPECT_GE(clear_of_border, 2);
}

TEST_F(PopulationSampler, CatalogRowsAreSharedBetweenParameters) {
  const GeneratorConfig c = config(lens_class(1.0));
  const SceneObserver obs = make_observer(c);
  std::set<double> rows_seen;
  for (std::uint64_t i = 0; i < 12; ++i) {
    const SampleResult r = make_sample(c, obs, 11, i);
    const double zl = num(c, r, "lens_z"), sv = num(c, r, "lens_sigma_v"), zs = num(c, r, "source1_z");
    bool is_row = false;
    for (std::size_t k = 0; k < 3; ++k)
      is_row |= zl == c.catalogs[0].values[0][k] && sv == c.catalogs[0].values[1][k] && zs == c.catalogs[0].values[2][k];
    EXPECT_TRUE(is_row) << zl << " " << sv << " " << zs;
    rows_seen.insert(zl);
  }
  EXPECT_GE(rows_seen.size(), 2u);  // rows vary from image to image
}

TEST_F(PopulationSampler, CompoundLensHasTwoSourcePlanes) {
  const GeneratorConfig c = config(kCompound);
  const SceneObserver obs = make_observer(c);
  const SampleResult r = make_sample(c, obs, 3, 0);
  EXPECT_EQ(r.kind, SampleClass::COMPOUND_ARC);
  ASSERT_EQ(r.scene.lens_planes.size(), 2u);
  ASSERT_EQ(r.scene.sources.size(), 2u);
  EXPECT_EQ(r.scene.lens_planes[0].z, 0.3);
  EXPECT_EQ(r.scene.lens_planes[1].z, 0.8);  // source 1 is the second lens plane
  EXPECT_EQ(r.scene.sources[0].z, 0.8);
  EXPECT_EQ(r.scene.sources[1].z, 2.4);
  EXPECT_EQ(r.scene.z_source_convention, 2.4);
  // The main deflector's theta_E is defined for source 1; the scene holds it for z = 2.4:
  // an EPL's deflection scales as theta_E^(gamma-1), so theta_E' = theta_E f^(1/(gamma-1)),
  // f = [D(l,2.4)/D(2.4)] / [D(l,0.8)/D(0.8)]. NFW alpha_Rs and the shear scale by f.
  const FlatLambdaCDM& cos = c.cosmology;
  const double f = (cos.angular_diameter_distance(0.3, 2.4) / cos.angular_diameter_distance(2.4)) /
                   (cos.angular_diameter_distance(0.3, 0.8) / cos.angular_diameter_distance(0.8));
  const Epl& epl = std::get<Epl>(r.scene.lens_planes[0].profiles[0]);
  EXPECT_NEAR(epl.theta_E, 1.2 * std::pow(f, 1.0 / (num(c, r, "lens_gamma") - 1.0)), 1e-12);
  EXPECT_NEAR(std::get<Nfw>(r.scene.lens_planes[0].profiles[1]).alpha_Rs, 0.2 * f, 1e-12);
  EXPECT_EQ(num(c, r, "lens_theta_E"), 1.2);
  // Source 1's mass: theta_E_ratio x theta_E(main), centred on source 1's light.
  const Sie& sie = std::get<Sie>(r.scene.lens_planes[1].profiles[0]);
  EXPECT_NEAR(sie.theta_E, 0.15 * 1.2, 1e-15);
  EXPECT_EQ(num(c, r, "lens2_theta_E"), sie.theta_E);
  EXPECT_EQ(sie.center_x, std::get<Sersic>(r.scene.sources[0].profile).center_x);
  EXPECT_EQ(num(c, r, "lens2_center_y"), num(c, r, "source1_center_y"));
  double e1, e2;
  e1e2_from_q_phi(0.7, 1.0, e1, e2);
  EXPECT_NEAR(sie.e1, e1, 1e-15);
  // Each source is measured on its own image; both images add up to the source plane.
  ASSERT_EQ(r.bands[0].sources.size(), 2u);
  EXPECT_LT((r.bands[0].sources[0] + r.bands[0].sources[1] - r.bands[0].source).abs().maxCoeff(),
            1e-5f * r.bands[0].source.maxCoeff());
  EXPECT_GT(integer(c, r, "source2_lensed_pixels"), 0);
  EXPECT_GT(num(c, r, "source2_magnification"), 1.0);
  EXPECT_GE(integer(c, r, "lensed_pixels"), integer(c, r, "source1_lensed_pixels"));
  EXPECT_FALSE(std::isnan(num(c, r, "source2_mag_VIS")));
}

TEST_F(PopulationSampler, NegativesHaveNoLensedLightAndShowWhatTheySay) {
  const GeneratorConfig c = config(lens_class(0.3) + negatives("0.1"));
  const SceneObserver obs = make_observer(c);
  for (SampleClass kind : {SampleClass::NONLENS_GALAXY, SampleClass::NONLENS_BACKGROUND, SampleClass::SPIRAL,
                           SampleClass::RING_GALAXY, SampleClass::MERGER, SampleClass::COMPANION, SampleClass::EDGE_ON}) {
    SCOPED_TRACE(class_name(kind));
    const std::uint64_t i = index_of(c, kind);
    const SampleResult r = make_sample(c, obs, 1, i);
    EXPECT_EQ(r.kind, kind);
    EXPECT_EQ(r.label, 0);
    EXPECT_EQ(integer(c, r, "class"), 0);
    EXPECT_EQ(integer(c, r, "criterion_passed"), -1);
    EXPECT_TRUE(r.scene.lens_planes.empty());
    EXPECT_TRUE(r.scene.sources.empty());
    for (const auto& b : r.bands) {
      EXPECT_EQ(b.source.abs().maxCoeff(), 0.0f);  // no source light at all
      EXPECT_GT(b.lens_light.sum(), 0.0f);
    }
    EXPECT_EQ(r.kappa.abs().maxCoeff(), 0.0f);  // no mass
    const auto& L = r.scene.lens_light;
    switch (kind) {
      case SampleClass::NONLENS_GALAXY: {
        ASSERT_EQ(L.size(), 1u);
        // Unlensed component flux equals band.flux(mag) in every band (a Gaussian, all inside the cutout).
        for (std::size_t k = 0; k < 2; ++k)
          EXPECT_NEAR(r.bands[k].lens_light.cast<double>().sum() / c.bands[k].flux(num(c, r, "galaxy_mag_" + c.bands[k].name)),
                      1.0, 1e-5);
        EXPECT_NEAR(num(c, r, "galaxy_mag_H") - num(c, r, "galaxy_mag_VIS"), -0.5, 1e-12);
        break;
      }
      case SampleClass::NONLENS_BACKGROUND:
        EXPECT_EQ(std::int64_t(L.size()), integer(c, r, "n_field_galaxies"));
        EXPECT_GE(L.size(), 1u);
        EXPECT_TRUE(std::isnan(num(c, r, "galaxy_R_sersic")));
        break;
      case SampleClass::SPIRAL: {
        ASSERT_EQ(L.size(), 2u);  // disc + bulge
        const Spiral& sp = std::get<Spiral>(L[0].profile);
        EXPECT_EQ(sp.n_arms, integer(c, r, "spiral_n_arms"));
        EXPECT_EQ(sp.arm_amplitude, 0.6);
        EXPECT_EQ(std::get<Sersic>(L[1].profile).center_x, sp.center_x);
        EXPECT_EQ(L[1].magnitudes.at("VIS"), 21.5);
        break;
      }
      case SampleClass::RING_GALAXY: {
        ASSERT_EQ(L.size(), 2u);
        const Ring& ring = std::get<Ring>(L[1].profile);
        EXPECT_EQ(ring.R_ring, num(c, r, "ring_R_ring"));
        EXPECT_EQ(ring.center_x, num(c, r, "galaxy_center_x"));
        EXPECT_EQ(L[1].magnitudes.at("H"), 21.0);  // no colour: the same magnitude in every band
        break;
      }
      case SampleClass::MERGER:
      case SampleClass::COMPANION: {
        ASSERT_EQ(L.size(), 2u);
        const Sersic& a = std::get<Sersic>(L[0].profile);
        const Sersic& b = std::get<Sersic>(L[1].profile);
        EXPECT_NEAR(std::hypot(b.center_x - a.center_x, b.center_y - a.center_y), num(c, r, "companion_separation"),
                    1e-12);
        EXPECT_EQ(L[1].z, 0.2);  // the companion takes the galaxy's redshift
        break;
      }
      case SampleClass::EDGE_ON: {
        ASSERT_EQ(L.size(), 1u);
        const Sersic& s = std::get<Sersic>(L[0].profile);
        EXPECT_LE(q_phi_from_e1e2(s.e1, s.e2).q, 0.3 + 1e-12);  // a thin disc
        EXPECT_TRUE(std::isnan(num(c, r, "galaxy_z")));           // no z given
        break;
      }
      default: break;
    }
  }
}

TEST_F(PopulationSampler, CriterionRedrawsOrRelabels) {
  // An unreachable criterion: redraw uses every attempt, then relabels; relabel keeps the first draw.
  const std::string impossible = replace(kHeader, "min_lensed_pixels: 10", "min_lensed_pixels: 100000");
  const GeneratorConfig redraw = config(lens_class(1.0), replace(impossible, "max_attempts: 10", "max_attempts: 3"));
  const GeneratorConfig relabel = config(lens_class(1.0), replace(impossible, "on_failure: redraw", "on_failure: relabel"));
  const SceneObserver obs = make_observer(redraw);
  const SampleResult a = make_sample(redraw, obs, 5, 0), b = make_sample(relabel, obs, 5, 0);
  EXPECT_EQ(a.attempts, 3);
  EXPECT_EQ(integer(redraw, a, "attempts"), 3);
  EXPECT_EQ(integer(redraw, a, "criterion_passed"), 0);
  EXPECT_EQ(integer(redraw, a, "class"), 0);
  EXPECT_EQ(std::get<std::string>(a.labels[col(redraw, "subtype")]), "lens");  // still drawn as a lens
  EXPECT_EQ(b.attempts, 1);
  EXPECT_EQ(integer(relabel, b, "criterion_passed"), 0);
  EXPECT_EQ(b.label, 0);

  // A reachable criterion with sources often far from the caustic: some images need redraws. Attempt
  // a is drawn from Rng(seed, index).split(a), so the first attempt of a redrawn image is exactly
  // the image relabel keeps (and it failed); an image that passed at once is the same under both.
  const std::string far = "{dist: uniform, min: 0, max: 1.5}";
  const GeneratorConfig often = config(lens_class(1.0, far), replace(kHeader, "max_attempts: 10", "max_attempts: 30"));
  const GeneratorConfig often_relabel =
      config(lens_class(1.0, far), replace(kHeader, "on_failure: redraw", "on_failure: relabel"));
  int redrawn = 0;
  for (std::uint64_t i = 0; i < 16 && redrawn < 2; ++i) {
    const SampleResult r = make_sample(often, obs, 9, i);
    const SampleResult first = make_sample(often_relabel, obs, 9, i);
    if (r.attempts == 1) {
      EXPECT_TRUE(same_labels(r.labels, first.labels));
      continue;
    }
    ++redrawn;
    EXPECT_EQ(r.label, 1);
    EXPECT_EQ(integer(often, r, "criterion_passed"), 1);
    EXPECT_EQ(integer(often_relabel, first, "criterion_passed"), 0);
    EXPECT_EQ(first.label, 0);
    EXPECT_NE(num(often, r, "source1_beta"), num(often_relabel, first, "source1_beta"));
  }
  EXPECT_EQ(redrawn, 2);
}

TEST_F(PopulationSampler, WithoutNoiseTheCriterionUsesTheExpectedSigma) {
  // noise: false -> no sigma map; the criterion compares the source with the noise the detector
  // would add: sigma = sqrt((noiseless + sky + dark) t + n_exp read^2) / t (detector/noise_model.hpp).
  const GeneratorConfig c = config(lens_class(1.0), replace(kHeader, "noise: true", "noise: false"));
  const SampleResult r = make_sample(c, make_observer(c), 8, 0);
  const BandObservation& b = r.bands[0];
  EXPECT_EQ(b.observed.image.size(), 0);
  const Band& vis = c.bands[0];
  const double t = vis.total_exposure_time();
  int pixels = 0;
  for (Eigen::Index k = 0; k < b.source.size(); ++k) {
    const float sigma = float(
        std::sqrt((double(b.noiseless.data()[k]) + vis.background_rate()) * t + vis.n_exposures * vis.read_noise * vis.read_noise) / t);
    pixels += b.source.data()[k] > sigma;  // sigma map images are float32
  }
  EXPECT_GT(pixels, 0);
  EXPECT_EQ(integer(c, r, "lensed_pixels"), pixels);
}

TEST_F(PopulationSampler, ConvergenceMapOfARoundLens) {
  // Round SIE (q = 1) + shear: kappa = theta_E / (2 r) at the image-plane position (shear adds none).
  const GeneratorConfig c = config(lens_class(1.0, "{dist: uniform, min: 0, max: 0.5}", "1"));
  const SampleResult r = make_sample(c, make_observer(c), 2, 0);
  const PixelGrid g = c.bands[0].grid();
  ASSERT_EQ(r.kappa.rows(), g.ny);
  ASSERT_EQ(r.kappa.cols(), g.nx);
  const double theta_E = num(c, r, "lens_theta_E"), cx = num(c, r, "lens_center_x"), cy = num(c, r, "lens_center_y");
  for (const auto& [i, j] : {std::pair{0, 0}, std::pair{10, 30}, std::pair{40, 5}, std::pair{24, 47}}) {
    const double rr = std::hypot(g.x(j) - cx, g.y(i) - cy);
    EXPECT_NEAR(r.kappa(i, j), theta_E / (2.0 * rr), 1e-6 * theta_E / rr);
  }
}

TEST_F(PopulationSampler, LabelColumnsAreFixed) {
  const GeneratorConfig c = config(lens_class(0.3) + negatives("0.1"));
  const std::vector<LabelColumn> cols = label_columns(c);
  EXPECT_EQ(cols[0].name, "index");
  EXPECT_EQ(cols[1].name, "class");
  EXPECT_EQ(cols[2].type, LabelType::STRING);
  std::set<std::string> names;
  for (const auto& k : cols) {
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate column " << k.name;
    EXPECT_FALSE(k.description.empty()) << k.name;
  }
  EXPECT_EQ(cols[col(c, "galaxy_mag_H")].unit, "mag");
  EXPECT_EQ(cols[col(c, "lens_theta_E")].unit, "arcsec");
  // Every sample fills every column with a value of the column's type.
  const SceneObserver obs = make_observer(c);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const SampleResult r = make_sample(c, obs, 4, i);
    ASSERT_EQ(r.labels.size(), cols.size());
    for (std::size_t k = 0; k < cols.size(); ++k)
      EXPECT_EQ(r.labels[k].index(), std::size_t(cols[k].type)) << cols[k].name;
  }
  EXPECT_THROW(label_index(cols, "nope"), std::out_of_range);
  // An observer of other bands is refused.
  const SceneObserver vis_only({c.bands[0]}, c.observation);
  EXPECT_THROW(make_sample(c, vis_only, 4, 0), std::invalid_argument);
}
