// Generator configs: a valid config gives the bands, options, catalogs and class populations it
// says; the example configs parse; every mistake is a ConfigError naming file, line and key path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

// Line numbers matter for the error tests below.
const std::string kConfig = R"(survey: {preset: euclid, bands: [VIS, H], image_size: {VIS: 40, H: 14}}
observation: {supersampling: 2, noise: true, artefacts: false, unit: ADU}
catalogs: {lenses: lenses.csv}
class_block: 20
criterion: {band: H, k_sigma: 2, min_lensed_pixels: 5, on_failure: relabel}
store: {kappa: true, mask: false}
classes:
  lens:
    fraction: 0.6
    deflector:
      z: {dist: catalog, catalog: lenses, column: z_lens}
      mass:
        profile: SIE
        sigma_v: {dist: catalog, catalog: lenses, column: sigma_v}
        q: {dist: uniform, min: 0.6, max: 1.0}
        phi: {dist: uniform, min: 0, max: 3.1416}
      shear: {gamma1: {dist: uniform, min: -0.05, max: 0.05}, gamma2: 0.01}
      light: {R_sersic: 0.5, n_sersic: 4, magnitude: 19.5, colours: {H: {dist: normal, mean: -1, sigma: 0.1}}}
    source:
      z: {dist: catalog, catalog: lenses, column: z_source}
      beta: {dist: uniform, min: 0, max: 0.6}
      R_sersic: {dist: lognormal, median: 0.15, sigma_dex: 0.1}
      n_sersic: 1
      e1: {dist: truncated_normal, mean: 0, sigma: 0.2, min: -0.5, max: 0.5}
      e2: {dist: uniform, min: -0.5, max: 0.5}
      knots: {count: {dist: choice, values: [0, 1, 2]}, sigma: 0.03, flux_fraction: 0.2, radius: 1}
      magnitudes: {VIS: 23, H: 22.5}
      lensed_magnitude: true
  spiral:
    fraction: 0.4
    galaxy:
      z: 0.1
      R_sersic: 1.0
      n_sersic: 1
      q: {dist: uniform, min: 0.3, max: 1}
      phi: 0.5
      center_x: {dist: uniform, min: -0.2, max: 0.2}
      arms: {n_arms: {dist: choice, values: [2, 3]}, amplitude: 0.6, pitch_angle: 0.3, r_arm: 0.4}
      magnitude: 19
      reference_band: H
      colours: {VIS: 0.3}
    bulge: {R_sersic: 0.2, n_sersic: 3, magnitude: 21}
)";

const std::string kCatalog = "# z_lens, sigma_v [km/s], z_source\nz_lens,sigma_v,z_source\n0.3,250,1.5\n0.5,210,2.0\n"
                             "0.7,300,2.5\n";

/// kConfig with the first occurrence of `from` replaced by `to` (which must occur).
std::string edit(const std::string& from, const std::string& to, const std::string& base = kConfig) {
  const auto pos = base.find(from);
  if (pos == std::string::npos) throw std::logic_error("test config lacks '" + from + "'");
  return base.substr(0, pos) + to + base.substr(pos + from.size());
}

class PopulationConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("lensforge_popcfg_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
    write("lenses.csv", kCatalog);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }

  GeneratorConfig parse(const std::string& text) const {
    return parse_generator_config(text, "gen.yaml", dir_.string(), test::source_path("configs"));
  }
  std::string error_of(const std::string& text) const {
    try {
      parse(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no ConfigError)";
  }
  void expect_error(const std::string& text, std::initializer_list<std::string> parts) const {
    const std::string msg = error_of(text);
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(PopulationConfig, ValidConfigGivesWhatItSays) {
  const GeneratorConfig c = parse(kConfig);
  EXPECT_EQ(c.yaml_text, kConfig);
  EXPECT_EQ(c.survey, "euclid");
  ASSERT_EQ(c.bands.size(), 2u);
  EXPECT_EQ(c.bands[0].name, "VIS");
  EXPECT_EQ(c.bands[0].nx, 40);
  EXPECT_EQ(c.bands[1].ny, 14);
  EXPECT_EQ(c.bands[1].pixel_scale, 0.3);  // the rest of the band as in the preset
  EXPECT_EQ(c.observation.supersampling, 2);
  EXPECT_FALSE(c.observation.artefacts);
  EXPECT_EQ(c.observation.noise_options.unit, OutputUnit::ADU);
  EXPECT_FALSE(c.observation.source_images);  // no compound class
  ASSERT_EQ(c.catalogs.size(), 1u);
  EXPECT_EQ(c.catalogs[0].num_rows(), 3u);
  EXPECT_EQ(c.class_block, 20);
  EXPECT_EQ(c.criterion_band(), 1u);
  EXPECT_EQ(c.criterion.k_sigma, 2.0);
  EXPECT_EQ(c.criterion.on_failure, CriterionFailure::RELABEL);
  EXPECT_TRUE(c.store.kappa);
  EXPECT_FALSE(c.store.mask);
  EXPECT_TRUE(c.store.noiseless);

  ASSERT_EQ(c.classes.size(), 2u);
  const ClassSpec& lens = c.classes[0];
  EXPECT_EQ(lens.kind, SampleClass::LENS);
  EXPECT_EQ(lens.fraction, 0.6);
  ASSERT_TRUE(lens.deflector && lens.source);
  EXPECT_TRUE(lens.deflector->mass.sigma_v && !lens.deflector->mass.theta_E);
  EXPECT_EQ(std::get<CatalogColumnDist>(*lens.deflector->mass.sigma_v).column, 1u);
  EXPECT_EQ(lens.deflector->mass.ellipticity.form, EllipticitySpec::Form::Q_PHI);
  const auto& sp = lens.source->galaxy.photometry;
  EXPECT_TRUE(sp.lensed);
  EXPECT_FALSE(sp.relative[0]);
  EXPECT_FALSE(sp.relative[1]);
  EXPECT_EQ(std::get<FixedValue>(sp.terms[1]).value, 22.5);
  // median 0.15, sigma_dex 0.1 -> ln x ~ N(ln 0.15, 0.1 ln 10)
  const auto& R = std::get<LogNormalDist>(lens.source->galaxy.R_sersic);
  EXPECT_NEAR(R.mu, std::log(0.15), 1e-15);
  EXPECT_NEAR(R.sigma, 0.1 * std::log(10.0), 1e-15);
  ASSERT_TRUE(lens.source->galaxy.knots);
  EXPECT_EQ(std::get<ChoiceDist>(lens.source->galaxy.knots->count).values.size(), 3u);
  const auto& lp = lens.deflector->light.photometry;
  EXPECT_EQ(lp.reference, 0u);
  EXPECT_TRUE(lp.relative[1]);

  const ClassSpec& spiral = c.classes[1];
  EXPECT_EQ(spiral.kind, SampleClass::SPIRAL);
  ASSERT_TRUE(spiral.galaxy && spiral.galaxy->arms && spiral.bulge);
  EXPECT_EQ(spiral.galaxy->photometry.reference, 1u);  // reference_band: H
  EXPECT_TRUE(spiral.galaxy->photometry.relative[0]);
  EXPECT_FALSE(spiral.deflector);
}

TEST_F(PopulationConfig, ExampleConfigsParse) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_path("configs/populations"))) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    const GeneratorConfig c = load_generator_config(e.path().string());
    EXPECT_FALSE(c.classes.empty());
    EXPECT_FALSE(c.bands.empty());
    ++n;
  }
  EXPECT_GE(n, 3);
  const GeneratorConfig lsst = load_generator_config(test::source_path("configs/populations/lsst.yaml"));
  ASSERT_EQ(lsst.bands.size(), 6u);
  for (const Band& b : lsst.bands) {
    EXPECT_EQ(b.nx, 64);
    EXPECT_EQ(b.ny, 64);
  }
  const GeneratorConfig compound = load_generator_config(test::source_path("configs/populations/compound.yaml"));
  EXPECT_TRUE(compound.observation.source_images);  // compound lenses measure each source
}

TEST_F(PopulationConfig, UnknownKeysAndClasses) {
  expect_error("seed: 3\n" + kConfig, {"gen.yaml:1:", "seed", "unknown top-level key", "survey, observation"});
  expect_error(edit("  spiral:\n", "  spirals:\n"), {"gen.yaml:29:", "classes.spirals", "unknown class", "ring_galaxy"});
  expect_error(edit("      shear:", "      sheer:"),
               {"gen.yaml:17:", "classes.lens.deflector.sheer", "unknown deflector key", "z, mass, shear, light"});
  expect_error(edit("        profile: SIE", "        profile: SIE\n        theta_e: 1"),
               {"gen.yaml:14:", "classes.lens.deflector.mass.theta_e", "unknown mass parameter"});
  expect_error(edit("bulge: {R_sersic", "bulge: {z: 0.1, R_sersic"), {"gen.yaml:42:", "classes.spiral.bulge.z", "unknown"});
  expect_error(edit("  lens:\n    fraction: 0.6\n", "  lens:\n    fraction: 0.6\n    galaxy: {}\n"),
               {"gen.yaml:10:", "classes.lens.galaxy", "unknown component of class lens"});
  expect_error(edit("store: {kappa: true", "store: {convergence: true"), {"gen.yaml:6:", "store.convergence", "kappa"});
  expect_error(edit("dist: uniform, min: 0, max: 0.6", "dist: uniformly, min: 0, max: 0.6"),
               {"gen.yaml:21:", "classes.lens.source.beta.dist", "unknown distribution 'uniformly'", "power_law"});
  expect_error(edit("values: [0, 1, 2]}", "values: [0, 1, 2], p: [1, 1, 1]}"),
               {"gen.yaml:26:", "classes.lens.source.knots.count.p", "unknown key of choice", "values, weights"});
  expect_error(edit("z: 0.1\n      R_sersic: 1.0", "z: 0.1\n      z: 0.2\n      R_sersic: 1.0"),
               {"gen.yaml:33:", "classes.spiral.galaxy.z", "duplicate key (first given on line 32)"});
}

TEST_F(PopulationConfig, WrongTypesAndMissingKeys) {
  expect_error(edit("R_sersic: 1.0", "R_sersic: big"), {"gen.yaml:33:", "classes.spiral.galaxy.R_sersic", "expected a number", "'big'"});
  expect_error(edit("supersampling: 2", "supersampling: 2.5"), {"gen.yaml:2:", "observation.supersampling", "integer"});
  expect_error(edit("noise: true", "noise: loud"), {"gen.yaml:2:", "observation.noise", "true or false"});
  expect_error(edit("unit: ADU", "unit: Jy"), {"gen.yaml:2:", "observation.unit", "'Jy'", "e-/s, ADU, flux"});
  expect_error(edit("      n_sersic: 1\n      q:", "      q:"),
               {"gen.yaml:32:", "classes.spiral.galaxy.n_sersic: missing"});  // the map's first line
  expect_error(edit("        profile: SIE\n", ""), {"gen.yaml:13:", "classes.lens.deflector.mass.profile: missing", "SIE or EPL"});
  expect_error(edit("    source:\n", "    sources:\n"), {"gen.yaml:19:", "classes.lens.sources", "unknown"});
  expect_error(edit("      magnitude: 19\n", ""), {"gen.yaml:32:", "classes.spiral.galaxy.magnitude: missing"});
  expect_error(edit("magnitudes: {VIS: 23, H: 22.5}", "magnitudes: {VIS: 23}"),
               {"gen.yaml:27:", "classes.lens.source.magnitudes.H: missing", "every band"});
  expect_error(edit("colours: {H: {dist", "colours: {Y: {dist"), {"gen.yaml:18:", "colours.Y", "no band 'Y'", "VIS, H"});
  expect_error(edit("magnitude: 19.5, colours", "magnitude: 19.5, magnitudes: {VIS: 1, H: 2}, colours"),
               {"gen.yaml:18:", "both magnitudes and magnitude"});
  expect_error(edit("        sigma_v: {dist", "        theta_E: 1.2\n        sigma_v: {dist"),
               {"gen.yaml:15:", "both theta_E and sigma_v"});
  expect_error(edit("bands: [VIS, H]", "bands: [VIS, K]"), {"gen.yaml:1:", "survey.bands[1]", "K", "VIS, Y, J, H"});
  expect_error(edit("preset: euclid", "preset: euclyd"), {"gen.yaml:1:", "survey.preset", "euclyd"});
  expect_error(edit("criterion: {band: H", "criterion: {band: r"), {"gen.yaml:5:", "criterion.band", "no band 'r'"});
  expect_error(edit("on_failure: relabel", "on_failure: retry"), {"gen.yaml:5:", "criterion.on_failure", "redraw, relabel"});
  expect_error(edit("column: z_lens}", "column: zl}"),
               {"gen.yaml:11:", "column", "no column 'zl'", "z_lens, sigma_v, z_source"});
  expect_error(edit("catalog: lenses, column: z_lens", "catalog: others, column: z_lens"),
               {"gen.yaml:11:", "no catalog 'others'", "lenses"});
  try {
    parse(edit("lenses: lenses.csv", "lenses: missing.csv"));
    ADD_FAILURE() << "no IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("gen.yaml:3: catalogs.lenses: cannot open catalog"), std::string::npos)
        << e.what();
  }
}

TEST_F(PopulationConfig, ImpossibleRanges) {
  expect_error(edit("dist: uniform, min: 0, max: 0.6", "dist: uniform, min: 0.6, max: 0"),
               {"gen.yaml:21:", "classes.lens.source.beta.max", "max = 0 must be > min = 0.6"});
  expect_error(edit("fraction: 0.4", "fraction: 0.3"),
               {"gen.yaml:8:", "fractions sum to 0.9,", "not 1", "lens 0.6, spiral 0.3"});
  expect_error(edit("fraction: 0.4", "fraction: 1.4"), {"gen.yaml:30:", "classes.spiral.fraction = 1.4", "[0, 1]"});
  // Unbounded or out-of-range supports.
  expect_error(edit("n_sersic: 1\n      e1", "n_sersic: {dist: normal, mean: 1, sigma: 0.3}\n      e1"),
               {"gen.yaml:23:", "classes.lens.source.n_sersic", "normal(1, 0.3)", "in [0.2, 10]", "truncated_normal"});
  expect_error(edit("R_sersic: 1.0", "R_sersic: {dist: uniform, min: -1, max: 2}"),
               {"gen.yaml:33:", "classes.spiral.galaxy.R_sersic", "> 0"});
  expect_error(edit("e2: {dist: uniform, min: -0.5, max: 0.5}", "e2: {dist: uniform, min: -0.9, max: 0.9}"),
               {"gen.yaml:24:", "classes.lens.source.e1, e2", "|e| < 1"});
  expect_error(edit("q: {dist: uniform, min: 0.3, max: 1}", "q: {dist: uniform, min: 0.3, max: 1.5}"),
               {"gen.yaml:35:", "classes.spiral.galaxy.q", "in (0, 1]"});
  expect_error(edit("n_arms: {dist: choice, values: [2, 3]}", "n_arms: {dist: choice, values: [2, 9]}"),
               {"gen.yaml:38:", "arms.n_arms", "an integer in [1, 8]"});
  expect_error(edit("gamma2: 0.01", "gamma2: 1.5"), {"gen.yaml:17:", "classes.lens.deflector.shear.gamma2", "(-1, 1)"});
  expect_error(edit("min_lensed_pixels: 5", "min_lensed_pixels: -5"), {"gen.yaml:5:", "criterion.min_lensed_pixels = -5"});
  expect_error(edit("class_block: 20", "class_block: 0"), {"gen.yaml:4:", "class_block = 0"});
  expect_error(edit("VIS: 40, H: 14", "VIS: 0, H: 14"), {"gen.yaml:1:", "survey.image_size.VIS = 0"});
  expect_error(edit("supersampling: 2", "supersampling: 40"), {"gen.yaml:2:", "observation.supersampling", "[1, 32]"});
}

TEST_F(PopulationConfig, RedshiftsMustBeOrderedForEveryDraw) {
  // One catalog: checked row by row.
  write("lenses.csv", kCatalog + "0.9,240,0.8\n");
  expect_error(kConfig, {"gen.yaml:20:", "classes.lens.source.z", "row 4 of catalog 'lenses'", "z_source = 0.8",
                         "z_lens = 0.9"});
  write("lenses.csv", kCatalog);
  // Overlapping supports: some draws would put the source in front of the lens.
  expect_error(edit("z: {dist: catalog, catalog: lenses, column: z_source}", "z: {dist: uniform, min: 0.6, max: 3}"),
               {"gen.yaml:20:", "classes.lens.source.z", "uniform(0.6, 3) can be <=", "classes.lens.deflector.z (line 11",
                "source behind"});
  expect_error(edit("z: {dist: catalog, catalog: lenses, column: z_source}", "z: 0.2"), {"gen.yaml:20:", "can be <="});
}

TEST_F(PopulationConfig, ClassRules) {
  const std::string compound = R"(survey: {preset: euclid, bands: [VIS]}
classes:
  double_ring:
    fraction: 1
    deflector:
      z: 0.3
      mass: {profile: EPL, theta_E: 1.2, gamma: {dist: uniform, min: 1.9, max: 2.1}}
      light: {R_sersic: 0.8, n_sersic: 4, magnitude: 19}
    source: {z: 0.8, beta: {dist: uniform, min: 0, max: 0.2}, R_sersic: 0.2, n_sersic: 1, magnitude: 23}
    source_mass: {profile: SIS, theta_E_ratio: 0.1}
    second_source: {z: 2.5, beta: 0.1, R_sersic: 0.2, n_sersic: 1, magnitude: 24}
)";
  const GeneratorConfig c = parse(compound);
  ASSERT_EQ(c.classes.size(), 1u);
  EXPECT_TRUE(c.classes[0].source_mass && c.classes[0].second_source);
  EXPECT_EQ(c.classes[0].deflector->mass.profile, MassSpec::Profile::EPL);
  EXPECT_TRUE(c.observation.source_images);
  expect_error(edit("max: 0.2}, R_sersic", "max: 0.4}, R_sersic", compound),
               {"gen.yaml:9:", "classes.double_ring.source.beta", "reaches beta = 0.4", "beta <= 0.25"});
  expect_error(edit("z: 2.5", "z: 0.7", compound), {"gen.yaml:11:", "second_source.z", "second source behind the first"});
  expect_error(edit("{profile: SIS, theta_E_ratio: 0.1}", "{profile: SIS, theta_E_ratio: 0.1, q: 0.5}", compound),
               {"gen.yaml:10:", "source_mass.q", "SIS is round"});
  expect_error(edit("source_mass:", "source_mas:", compound), {"gen.yaml:10:", "source_mas", "unknown component"});
  expect_error(edit("gamma: {dist: uniform, min: 1.9, max: 2.1}", "gamma: 3.2", compound),
               {"gen.yaml:7:", "mass.gamma", "in (1, 3)"});
  expect_error(edit("profile: EPL", "profile: SIE", compound), {"gen.yaml:7:", "mass.gamma", "only the EPL"});

  const std::string edge_on = R"(survey: {preset: euclid, bands: [VIS]}
classes:
  edge_on:
    fraction: 1
    galaxy: {R_sersic: 1, n_sersic: 1, q: {dist: uniform, min: 0.1, max: 0.3}, phi: 0, magnitude: 19}
)";
  EXPECT_NO_THROW(parse(edge_on));
  expect_error(edit("max: 0.3}", "max: 0.6}", edge_on), {"gen.yaml:5:", "edge_on disc needs q <= 0.4", "reaches q = 0.6"});
  expect_error(edit("q: {dist: uniform, min: 0.1, max: 0.3}, phi: 0,", "", edge_on), {"gen.yaml:5:", "galaxy.q: missing"});
  expect_error(edit("edge_on:", "spiral:", edge_on), {"gen.yaml:5:", "galaxy.arms: missing"});
  expect_error(edit("edge_on:", "merger:", edge_on), {"gen.yaml:4:", "classes.merger.companion: missing"});
  expect_error(edit("edge_on:", "ring_galaxy:", edge_on), {"gen.yaml:4:", "classes.ring_galaxy.ring: missing"});
  expect_error(edit("galaxy:", "field:", edit("edge_on:", "nonlens_background:", edge_on)),
               {"gen.yaml:5:", "classes.nonlens_background.field.count: missing"});
}

TEST_F(PopulationConfig, SyntaxErrorsAndFiles) {
  expect_error("survey: {preset: euclid\nclasses: [\n", {"gen.yaml:", "YAML syntax error"});
  expect_error("", {"gen.yaml", "empty"});
  expect_error(kConfig + "---\n" + kConfig, {"gen.yaml:", "one YAML document"});
  EXPECT_THROW(load_generator_config((dir_ / "nope.yaml").string()), IoError);
  EXPECT_THROW(load_generator_config(dir_.string()), IoError);
  // A survey file relative to the config, one of whose presets is chosen.
  const std::string by_file = edit("preset: euclid,", "file: " + test::source_path("configs/surveys/lsst.yaml") +
                                                          ", preset: lsst_10yr,",
                                   edit("bands: [VIS, H], image_size: {VIS: 40, H: 14}", "bands: [g, i]"));
  const std::string g_and_i = edit("criterion: {band: H", "criterion: {band: g",
                                   edit("colours: {H:", "colours: {i:", edit("VIS: 23, H: 22.5", "g: 23, i: 22.5",
                                   edit("colours: {VIS: 0.3}", "colours: {g: 0.3}", edit("reference_band: H", "reference_band: i", by_file)))));
  const GeneratorConfig c = parse(g_and_i);
  ASSERT_EQ(c.bands.size(), 2u);
  EXPECT_EQ(c.bands[1].name, "i");
  EXPECT_EQ(c.bands[1].n_exposures, 368);  // lsst_10yr
  expect_error(edit(", preset: lsst_10yr", "", g_and_i), {"gen.yaml:1:", "survey.file", "2 presets", "lsst_10yr"});
}
