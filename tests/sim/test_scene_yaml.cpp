#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "lensforge/sim/config/scene_yaml.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

// A valid scene; line numbers matter for the error tests below.
const std::string kScene = R"(grid: {num_pix: 20, pixel_scale: 0.1, supersampling: 2}
psf: {type: GAUSSIAN, fwhm: 0.15}
lens:
  - {type: SIE, z: 0.5, theta_E: 1.2, e1: 0.1, e2: -0.05, center_x: 0.05, center_y: -0.03}
  - {type: SHEAR, z: 0.5, gamma1: 0.03, gamma2: -0.02}
lens_light:
  - {type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, n_sersic: 4, e1: 0.1, e2: -0.05, center_x: 0.05, center_y: -0.03}
source_light:
  - {type: SERSIC_ELLIPSE, z: 2.0, amp: 50, R_sersic: 0.15, n_sersic: 1.5, e1: -0.2, e2: 0.15, center_x: 0.08, center_y: 0.05}
)";

/// kScene with the first occurrence of `from` replaced by `to` (which must occur).
std::string edit(const std::string& from, const std::string& to, const std::string& base = kScene) {
  const auto pos = base.find(from);
  if (pos == std::string::npos) throw std::logic_error("test scene lacks '" + from + "'");
  return base.substr(0, pos) + to + base.substr(pos + from.size());
}

std::string error_of(const std::string& yaml) {
  try {
    parse_scene_yaml(yaml, "scene.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

/// The scene fails with a ConfigError whose message holds every part.
void expect_error(const std::string& yaml, std::initializer_list<std::string> parts) {
  const std::string msg = error_of(yaml);
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

const std::string kMassTypes = "SIE, SIS, EPL, NFW, POINT_MASS, SHEAR, CONVERGENCE";
const std::string kLightTypes = "SERSIC, SERSIC_ELLIPSE, GAUSSIAN, GAUSSIAN_ELLIPSE, CLUMPY_SERSIC, SPIRAL, RING";

}  // namespace

TEST(SceneYaml, ExampleScenesParseAndValidate) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(test::source_path("configs/scenes"))) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    ++n;
    SceneFile f;
    ASSERT_NO_THROW(f = load_scene_yaml(entry.path().string()));
    EXPECT_EQ(f.path, entry.path().string());
    EXPECT_EQ(f.options.validate(), "");
    EXPECT_FALSE(f.scene.lens_planes.empty());
    EXPECT_FALSE(f.scene.sources.empty());
    EXPECT_NO_THROW({ Renderer r(f.scene, f.options); });  // the renderer's own validation accepts it
  }
  EXPECT_GE(n, 3);
}

TEST(SceneYaml, ReferenceSceneHasExactlyTheReferenceParameters) {
  const auto ref = test::read_json(test::shared_path("reference/images/ref_images.json"));
  const auto& c = ref["cases"][1];
  ASSERT_EQ(c["name"], "sie_shear_sersic_100x100_ss3");
  const SceneFile f = load_scene_yaml(test::source_path("configs/scenes/lenstronomy_reference.yaml"));
  const RenderOptions& o = f.options;
  EXPECT_EQ(o.grid.nx, c["num_pix"].get<int>());
  EXPECT_EQ(o.grid.ny, c["num_pix"].get<int>());
  EXPECT_EQ(o.grid.pixel_scale, ref["pixel_scale"].get<double>());
  EXPECT_EQ(o.grid.x(0), c["ra_at_xy_0"].get<double>());
  EXPECT_EQ(o.grid.y(0), c["dec_at_xy_0"].get<double>());
  EXPECT_EQ(o.supersampling, c["supersampling_factor"].get<int>());
  EXPECT_EQ(o.supersampling_convolution, c["supersampling_convolution"].get<bool>());
  ASSERT_TRUE(o.psf.has_value());
  EXPECT_EQ(ref["psf"]["psf_type"], "GAUSSIAN");
  EXPECT_EQ(o.psf->fwhm, ref["psf"]["fwhm"].get<double>());
  EXPECT_EQ(o.psf->truncate, ref["psf"]["truncation"].get<double>());

  // One plane holding SIE + SHEAR; the source at z_source_convention, so that the deflection is
  // lenstronomy's single-plane one.
  const Scene& s = f.scene;
  ASSERT_EQ(s.lens_planes.size(), 1u);
  ASSERT_EQ(s.lens_planes[0].profiles.size(), 2u);
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.sources[0].z, s.z_source_convention);
  const auto& kl = ref["kwargs_lens"];
  ASSERT_EQ(ref["lens_model_list"][0], "SIE");
  const auto& sie = std::get<Sie>(s.lens_planes[0].profiles[0]);
  EXPECT_EQ(sie.theta_E, kl[0]["theta_E"].get<double>());
  EXPECT_EQ(sie.e1, kl[0]["e1"].get<double>());
  EXPECT_EQ(sie.e2, kl[0]["e2"].get<double>());
  EXPECT_EQ(sie.center_x, kl[0]["center_x"].get<double>());
  EXPECT_EQ(sie.center_y, kl[0]["center_y"].get<double>());
  ASSERT_EQ(ref["lens_model_list"][1], "SHEAR");
  const auto& shear = std::get<Shear>(s.lens_planes[0].profiles[1]);
  EXPECT_EQ(shear.gamma1, kl[1]["gamma1"].get<double>());
  EXPECT_EQ(shear.gamma2, kl[1]["gamma2"].get<double>());
  EXPECT_EQ(shear.ra_0, 0.0);
  EXPECT_EQ(shear.dec_0, 0.0);

  auto expect_sersic = [](const LightProfile& p, const nlohmann::json& kw) {
    const auto& ser = std::get<Sersic>(p);
    EXPECT_EQ(ser.amp, kw["amp"].get<double>());
    EXPECT_EQ(ser.R_sersic, kw["R_sersic"].get<double>());
    EXPECT_EQ(ser.n_sersic, kw["n_sersic"].get<double>());
    EXPECT_EQ(ser.e1, kw["e1"].get<double>());
    EXPECT_EQ(ser.e2, kw["e2"].get<double>());
    EXPECT_EQ(ser.center_x, kw["center_x"].get<double>());
    EXPECT_EQ(ser.center_y, kw["center_y"].get<double>());
  };
  ASSERT_EQ(s.lens_light.size(), 1u);
  ASSERT_EQ(ref["lens_light_model_list"][0], "SERSIC_ELLIPSE");
  expect_sersic(s.lens_light[0].profile, ref["kwargs_lens_light"][0]);
  EXPECT_EQ(s.lens_light[0].z, s.lens_planes[0].z);  // unlensed
  ASSERT_EQ(ref["source_light_model_list"][0], "SERSIC_ELLIPSE");
  expect_sersic(s.sources[0].profile, ref["kwargs_source"][0]);
  // lenstronomy's total fluxes (ref_images.json) agree with the Sersic integral of these numbers.
  EXPECT_NEAR(total_flux(s.lens_light[0].profile), ref["total_flux_lens_light"].get<double>(), 1e-9 * 290);
  EXPECT_NEAR(total_flux(s.sources[0].profile), ref["total_flux_source_unlensed"].get<double>(), 1e-9 * 16);
}

TEST(SceneYaml, LensEntriesAtOneRedshiftShareAPlaneAndPlanesAreSortedByRedshift) {
  const SceneFile f = parse_scene_yaml(
      edit("  - {type: SHEAR, z: 0.5,", "  - {type: SIS, z: 0.8, theta_E: 0.2, center_x: 0, center_y: 0}\n"
                                         "  - {type: SHEAR, z: 0.5,"),
      "scene.yaml");
  ASSERT_EQ(f.scene.lens_planes.size(), 2u);
  EXPECT_EQ(f.scene.lens_planes[0].z, 0.5);
  ASSERT_EQ(f.scene.lens_planes[0].profiles.size(), 2u);  // SIE and SHEAR, in file order
  EXPECT_TRUE(std::holds_alternative<Sie>(f.scene.lens_planes[0].profiles[0]));
  EXPECT_TRUE(std::holds_alternative<Shear>(f.scene.lens_planes[0].profiles[1]));
  EXPECT_EQ(f.scene.lens_planes[1].z, 0.8);
  EXPECT_TRUE(std::holds_alternative<Sis>(f.scene.lens_planes[1].profiles[0]));
}

TEST(SceneYaml, DefaultsRedshiftsAndOptions) {
  const SceneFile f = parse_scene_yaml(kScene, "scene.yaml");
  EXPECT_EQ(f.scene.lens_light[0].z, 0.5);         // the first lens plane
  EXPECT_EQ(f.scene.z_source_convention, 2.0);     // the largest source redshift
  EXPECT_EQ(f.scene.cosmology.H0(), 70.0);
  EXPECT_EQ(f.scene.cosmology.Om0(), 0.3);
  EXPECT_EQ(f.options.grid.center_x, 0.0);
  EXPECT_EQ(f.options.psf->truncate, 5.0);
  EXPECT_FALSE(f.options.supersampling_convolution);
  EXPECT_FALSE(f.magnitude_zero_point.has_value());
  EXPECT_EQ(f.flux_unit, "count/s");  // lenstronomy's convention

  const SceneFile g = parse_scene_yaml(
      edit("grid: {num_pix: 20, pixel_scale: 0.1, supersampling: 2}\npsf: {type: GAUSSIAN, fwhm: 0.15}",
           "grid: {nx: 30, ny: 12, pixel_scale: 0.05, center_x: 1.5, center_y: -2}\n"
           "cosmology: {Om0: 0.25}\nz_source_convention: 3\nflux_unit: electron/s"),
      "scene.yaml");
  EXPECT_EQ(g.options.grid.nx, 30);
  EXPECT_EQ(g.options.grid.ny, 12);
  EXPECT_EQ(g.options.grid.pixel_scale, 0.05);
  EXPECT_EQ(g.options.grid.center_x, 1.5);
  EXPECT_EQ(g.options.grid.center_y, -2.0);
  EXPECT_EQ(g.options.supersampling, 1);
  EXPECT_FALSE(g.options.psf.has_value());
  EXPECT_EQ(g.scene.cosmology.H0(), 70.0);
  EXPECT_EQ(g.scene.cosmology.Om0(), 0.25);
  EXPECT_EQ(g.scene.z_source_convention, 3.0);
  EXPECT_EQ(g.flux_unit, "electron/s");
}

TEST(SceneYaml, FluxAndMagnitudeSetTheTotalFlux) {
  // flux: the Sersic amp is chosen so that the analytic total flux is the given one.
  const SceneFile f = parse_scene_yaml(edit("amp: 50,", "flux: 12.5,"), "scene.yaml");
  EXPECT_NEAR(total_flux(f.scene.sources[0].profile), 12.5, 1e-12 * 12.5);
  // magnitude: 10^(-0.4 (m - zp)) flux units; m = 21, zp = 25 gives 10^1.6.
  const SceneFile m = parse_scene_yaml("magnitude_zero_point: 25\n" + edit("amp: 20,", "magnitude: 21,"), "s.yaml");
  EXPECT_NEAR(total_flux(m.scene.lens_light[0].profile), std::pow(10.0, 1.6), 1e-12 * 40);
  EXPECT_EQ(m.magnitude_zero_point, 25.0);
  // GAUSSIAN: amp is the total flux already.
  const SceneFile g = parse_scene_yaml(
      edit("{type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, n_sersic: 4, e1: 0.1, e2: -0.05,",
           "{type: GAUSSIAN_ELLIPSE, flux: 7, sigma: 0.3, e1: 0.1, e2: -0.05,"),
      "scene.yaml");
  const auto& gauss = std::get<Gaussian>(g.scene.lens_light[0].profile);
  EXPECT_EQ(gauss.amp, 7.0);
  EXPECT_EQ(gauss.sigma, 0.3);
}

TEST(SceneYaml, RoundProfilesAndClumpySources) {
  const SceneFile f = parse_scene_yaml(
      edit("{type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, n_sersic: 4, e1: 0.1, e2: -0.05,",
           "{type: SERSIC, amp: 20, R_sersic: 0.8, n_sersic: 4,",
           edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50,",
                "{type: CLUMPY_SERSIC, z: 2.0, knots: [{dx: 0.1, dy: -0.05, sigma: 0.03, flux: 2.5}], amp: 50,")),
      "scene.yaml");
  const auto& round = std::get<Sersic>(f.scene.lens_light[0].profile);
  EXPECT_EQ(round.e1, 0.0);
  EXPECT_EQ(round.e2, 0.0);
  EXPECT_EQ(round.R_sersic, 0.8);
  const auto& clumpy = std::get<ClumpySersic>(f.scene.sources[0].profile);
  EXPECT_EQ(clumpy.host.amp, 50.0);
  EXPECT_EQ(clumpy.host.e1, -0.2);
  ASSERT_EQ(clumpy.knots.size(), 1u);
  EXPECT_EQ(clumpy.knots[0].dx, 0.1);
  EXPECT_EQ(clumpy.knots[0].dy, -0.05);
  EXPECT_EQ(clumpy.knots[0].sigma, 0.03);
  EXPECT_EQ(clumpy.knots[0].flux, 2.5);
}

TEST(SceneYaml, SpiralAndRingProfiles) {
  // Hard-negative light types: a spiral lens-light stand-in and a ring source, set by flux.
  const SceneFile f = parse_scene_yaml(
      edit("{type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, n_sersic: 4, e1: 0.1, e2: -0.05,",
           "{type: SPIRAL, flux: 40, R_sersic: 0.8, n_sersic: 1, e1: 0.1, e2: -0.05, n_arms: 2, arm_amplitude: 0.6, "
           "pitch_angle: 0.3, r_arm: 0.4,",
           edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50, R_sersic: 0.15, n_sersic: 1.5,",
                "{type: RING, z: 2.0, flux: 12, R_ring: 0.9, sigma: 0.1,")),
      "scene.yaml");
  const auto& sp = std::get<Spiral>(f.scene.lens_light[0].profile);
  EXPECT_EQ(sp.n_arms, 2);
  EXPECT_EQ(sp.arm_amplitude, 0.6);
  EXPECT_EQ(sp.pitch_angle, 0.3);
  EXPECT_EQ(sp.r_arm, 0.4);
  EXPECT_EQ(sp.arm_phase, 0.0);  // optional, default 0
  EXPECT_EQ(sp.e1, 0.1);
  EXPECT_NEAR(total_flux(sp), 40.0, 40.0 * 1e-14);
  const auto& ring = std::get<Ring>(f.scene.sources[0].profile);
  EXPECT_EQ(ring.R_ring, 0.9);
  EXPECT_EQ(ring.sigma, 0.1);
  EXPECT_EQ(ring.center_x, 0.08);
  EXPECT_NEAR(total_flux(ring), 12.0, 12.0 * 1e-14);
}

// ---- errors: file, line, key path, what was found, what is allowed ----------------------------

TEST(SceneYamlErrors, UnknownTopLevelKey) {
  expect_error("lense: []\n" + kScene,
               {"scene.yaml:1:", "lense", "allowed: cosmology, z_source_convention, grid, psf, magnitude_zero_point"});
}

TEST(SceneYamlErrors, UnknownProfileTypeListsTheAllowedOnes) {
  expect_error(edit("type: SIE,", "type: SIEE,"), {"scene.yaml:4:", "lens[0].type", "'SIEE'", kMassTypes});
  expect_error(edit("type: SERSIC_ELLIPSE, z: 2.0", "type: SERSIK, z: 2.0"),
               {"scene.yaml:9:", "source_light[0].type", "'SERSIK'", kLightTypes});
  expect_error(edit("type: GAUSSIAN, fwhm", "type: MOFFAT, fwhm"), {"scene.yaml:2:", "psf.type", "MOFFAT", "GAUSSIAN"});
}

TEST(SceneYamlErrors, UnknownOrMissingParameterListsTheParameters) {
  expect_error(edit("theta_E: 1.2", "theta_e: 1.2"),
               {"scene.yaml:4:", "lens[0].theta_e", "unknown parameter of SIE", "theta_E, e1, e2, center_x, center_y"});
  expect_error(edit("theta_E: 1.2, ", ""), {"scene.yaml:4:", "lens[0].theta_E", "missing", "theta_E, e1, e2"});
  expect_error(edit("gamma2: -0.02", "gamma_2: -0.02"), {"scene.yaml:5:", "lens[1].gamma_2", "gamma1, gamma2, ra_0, dec_0"});
  // A round profile has no e1/e2.
  expect_error(edit("type: SERSIC_ELLIPSE, amp: 20", "type: SERSIC, amp: 20"),
               {"scene.yaml:7:", "lens_light[0].e1", "unknown parameter of SERSIC", "R_sersic, n_sersic, center_x"});
  expect_error(edit(", z: 2.0, amp: 50", ", amp: 50"), {"scene.yaml:9:", "source_light[0].z", "missing"});
  expect_error(edit("z: 0.5, theta_E", "theta_E"), {"scene.yaml:4:", "lens[0].z", "missing"});
  expect_error(edit("amp: 20, ", ""), {"scene.yaml:7:", "lens_light[0].amp", "missing", "amp", "flux", "magnitude"});
  expect_error(edit("amp: 20,", "amp: 20, flux: 3,"),
               {"scene.yaml:7:", "lens_light[0].flux", "both amp and flux", "exactly one of amp"});
  expect_error(edit("amp: 20,", "magnitude: 20,"),
               {"scene.yaml:7:", "lens_light[0].magnitude", "needs magnitude_zero_point"});
  expect_error(edit("center_x: 0.08", "center_x: 0.08, center_x: 0.1"),
               {"scene.yaml:9:", "source_light[0].center_x", "duplicate key"});
}

TEST(SceneYamlErrors, MissingSections) {
  expect_error("", {"scene.yaml", "empty"});
  expect_error(edit("grid: {num_pix: 20, pixel_scale: 0.1, supersampling: 2}\n", ""), {"scene.yaml", "grid", "missing"});
  expect_error("grid: {num_pix: 20, pixel_scale: 0.1}\nsource_light: []\n", {"scene.yaml", "lens", "missing"});
  expect_error(edit("source_light:\n  - {type: SERSIC_ELLIPSE, z: 2.0, amp: 50, R_sersic: 0.15, n_sersic: 1.5, e1: -0.2, "
                    "e2: 0.15, center_x: 0.08, center_y: 0.05}\n",
                    "source_light: []\n"),
               {"scene.yaml:8:", "source_light: empty", "at least one source"});
  expect_error(edit("pixel_scale: 0.1, ", ""), {"scene.yaml:1:", "grid.pixel_scale", "missing"});
  expect_error(edit("num_pix: 20", "nx: 20"), {"scene.yaml:1:", "grid.ny", "missing"});
  expect_error(edit("num_pix: 20", "num_pix: 20, nx: 20"), {"scene.yaml:1:", "grid.nx", "either num_pix"});
}

TEST(SceneYamlErrors, WrongTypeAndNonFiniteValues) {
  expect_error(edit("theta_E: 1.2", "theta_E: big"), {"scene.yaml:4:", "lens[0].theta_E", "expected a number", "'big'"});
  expect_error(edit("theta_E: 1.2", "theta_E: [1, 2]"), {"scene.yaml:4:", "lens[0].theta_E", "found a list"});
  expect_error(edit("theta_E: 1.2", "theta_E: \"1.2\""), {"scene.yaml:4:", "lens[0].theta_E", "remove the quotes"});
  expect_error(edit("theta_E: 1.2", "theta_E: .nan"), {"scene.yaml:4:", "lens[0].theta_E", "finite", "'.nan'"});
  expect_error(edit("amp: 50", "amp: -.inf"), {"scene.yaml:9:", "source_light[0].amp", "finite", "'-.inf'"});
  expect_error("flux_unit: [e, s]\n" + kScene, {"scene.yaml:1:", "flux_unit", "expected a text value"});
  expect_error("flux_unit: ''\n" + kScene, {"scene.yaml:1:", "flux_unit", "printable ASCII"});
  expect_error(edit("num_pix: 20", "num_pix: 20.5"), {"scene.yaml:1:", "grid.num_pix", "expected an integer", "'20.5'"});
  expect_error(edit("fwhm: 0.15}", "fwhm: 0.15, supersampling_convolution: maybe}"),
               {"scene.yaml:2:", "psf.supersampling_convolution", "true or false", "'maybe'"});
  expect_error("grid: {num_pix: 20, pixel_scale: 0.1}\nlens: {type: SIE}\nsource_light: []\n",
               {"scene.yaml:2:", "lens: expected a list", "found a map"});
  expect_error(edit("  - {type: SHEAR", "  - 7\n  - {type: SHEAR"), {"scene.yaml:5:", "lens[1]", "expected a map", "'7'"});
}

TEST(SceneYamlErrors, RangesComeFromTheValidateFunctions) {
  // |e| >= 1: the axis ratio q = (1-|e|)/(1+|e|) leaves (0, 1].
  const std::string q = error_of(edit("e1: 0.1, e2: -0.05, center_x: 0.05, center_y: -0.03}\n  - {type: SHEAR",
                                      "e1: 0.8, e2: -0.7, center_x: 0.05, center_y: -0.03}\n  - {type: SHEAR"));
  EXPECT_NE(q.find("scene.yaml:4: lens[0].e1 = 0.8: "), std::string::npos) << q;
  EXPECT_NE(q.find(validate(MassProfile{Sie{1.2, 0.8, -0.7, 0.05, -0.03}})), std::string::npos) << q;
  // Negative radii and amplitudes.
  expect_error(edit("theta_E: 1.2", "theta_E: -1.2"),
               {"scene.yaml:4: lens[0].theta_E = -1.2: ", validate(MassProfile{Sie{-1.2, 0.1, -0.05, 0.05, -0.03}})});
  expect_error(edit("R_sersic: 0.8", "R_sersic: -0.8"), {"scene.yaml:7: lens_light[0].R_sersic = -0.8: ", "R_sersic"});
  expect_error(edit("n_sersic: 1.5", "n_sersic: 12"), {"scene.yaml:9: source_light[0].n_sersic = 12: ", "n_sersic"});
  expect_error(edit("amp: 50", "amp: -50"), {"scene.yaml:9: source_light[0].amp = -50: ", "amp"});
  expect_error(edit("amp: 50", "flux: -50"), {"scene.yaml:9: source_light[0].flux = -50: ", "amp"});
  // Options and cosmology.
  expect_error(edit("supersampling: 2", "supersampling: 0"), {"scene.yaml:1: grid.supersampling = 0: ", "[1, 32]"});
  expect_error(edit("pixel_scale: 0.1", "pixel_scale: -0.1"), {"scene.yaml:1: grid.pixel_scale = -0.1: ", "> 0"});
  expect_error(edit("num_pix: 20", "num_pix: 0"), {"scene.yaml:1: grid.num_pix = 0: ", "at least"});
  expect_error(edit("fwhm: 0.15", "fwhm: 0"), {"scene.yaml:2: psf.fwhm = 0: ", "> 0"});
  expect_error("cosmology: {H0: 70, Om0: 1.5}\n" + kScene, {"scene.yaml:1: cosmology.Om0 = 1.5: ", "[0, 1]"});
  // Knots: the knot is named.
  expect_error(edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50,",
                    "{type: CLUMPY_SERSIC, z: 2.0, knots: [{dx: 0, dy: 0, sigma: 0.03, flux: 1}, "
                    "{dx: 0.1, dy: 0, sigma: -0.03, flux: 1}], amp: 50,"),
               {"scene.yaml:9: source_light[0].knots[1].sigma = -0.03: ", "sigma"});
  expect_error(edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50,",
                    "{type: CLUMPY_SERSIC, z: 2.0, knots: [{dx: 0, dy: 0, flux: 1}], amp: 50,"),
               {"scene.yaml:9:", "source_light[0].knots[0].sigma", "missing", "dx, dy, sigma, flux"});
}

TEST(SceneYamlErrors, SpiralAndRingParameters) {
  const std::string spiral = "{type: SPIRAL, amp: 20, R_sersic: 0.8, n_sersic: 1, e1: 0.1, e2: -0.05, n_arms: 2, "
                             "arm_amplitude: 0.6, pitch_angle: 0.3, r_arm: 0.4,";
  const std::string base = edit("{type: SERSIC_ELLIPSE, amp: 20, R_sersic: 0.8, n_sersic: 4, e1: 0.1, e2: -0.05,", spiral);
  expect_error(edit("n_arms: 2", "n_arms: 2.5", base), {"scene.yaml:7:", "lens_light[0].n_arms", "expected an integer"});
  expect_error(edit("n_arms: 2", "n_arms: 9", base), {"scene.yaml:7: lens_light[0].n_arms = 9: ", "in [1, 8]"});
  expect_error(edit("n_arms: 2, ", "", base),
               {"scene.yaml:7:", "lens_light[0].n_arms", "missing", "arm_amplitude, pitch_angle, r_arm, arm_phase"});
  expect_error(edit("pitch_angle: 0.3", "pitch_angle: 2", base), {"scene.yaml:7: lens_light[0].pitch_angle = 2: "});
  expect_error(edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50, R_sersic: 0.15, n_sersic: 1.5,",
                    "{type: RING, z: 2.0, amp: 50, R_ring: 0.9, sigma: -0.1,"),
               {"scene.yaml:9: source_light[0].sigma = -0.1: ", "RING"});
  expect_error(edit("{type: SERSIC_ELLIPSE, z: 2.0, amp: 50,", "{type: RING, z: 2.0, amp: 50, R_ring: 0.9, sigma: 0.1,"),
               {"scene.yaml:9:", "source_light[0].R_sersic", "unknown parameter of RING", "R_ring, sigma, e1"});
}

TEST(SceneYamlErrors, RedshiftOrder) {
  expect_error(edit("z: 2.0", "z: 0.3"),
               {"scene.yaml:9:", "source_light[0].z = 0.3 is not behind the lens at z = 0.5", "lens[0].z"});
  expect_error(edit("z: 2.0", "z: 0.5"), {"scene.yaml:9:", "source_light[0].z = 0.5 is not behind the lens"});
  expect_error(edit("z: 0.5, theta_E", "z: -0.5, theta_E"), {"scene.yaml:4:", "lens[0].z = -0.5", "> 0"});
  expect_error("z_source_convention: 0.4\n" + kScene, {"scene.yaml:1:", "z_source_convention = 0.4", "lens[0].z = 0.5"});
  // A lens plane behind every source leaves the default convention undefined.
  expect_error(edit("  - {type: SHEAR, z: 0.5", "  - {type: SIS, z: 2.5, theta_E: 0.1, center_x: 0, center_y: 0}\n"
                                              "  - {type: SHEAR, z: 0.5"),
               {"scene.yaml:5:", "lens[1].z = 2.5", "set z_source_convention"});
}

TEST(SceneYamlErrors, YamlSyntaxErrorsGiveTheLine) {
  expect_error(edit("center_y: -0.03}\n  - {type: SHEAR", "center_y: -0.03\n  - {type: SHEAR"),
               {"scene.yaml:", "YAML syntax error"});
  const std::string msg = error_of("grid: {num_pix: 20, pixel_scale: 0.1}\nlens:\n  - [unclosed\nsource_light: []\n");
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("scene.yaml:"), std::string::npos) << msg;
  expect_error(kScene + "---\n" + kScene, {"scene.yaml:11:", "one YAML document, found 2"});
}

TEST(SceneYamlErrors, UnreadableFileIsAnIoError) {
  EXPECT_THROW(load_scene_yaml("/nonexistent/scene.yaml"), IoError);
  EXPECT_THROW(load_scene_yaml(test::source_path("configs/scenes")), IoError);  // a folder
}

// ---- per-band magnitudes ----------------------------------------------------------------------

namespace {

/// Bands of one survey; scene_for_survey uses only their survey and band names.
std::vector<Band> survey_bands(const std::string& survey, std::initializer_list<const char*> names) {
  std::vector<Band> bands;
  for (const char* n : names) {
    Band b;
    b.survey = survey;
    b.name = n;
    bands.push_back(b);
  }
  return bands;
}

const std::vector<Band> kEuclid = survey_bands("Euclid", {"VIS", "Y", "J", "H"});
const std::vector<Band> kLsst = survey_bands("LSST", {"u", "g", "r", "i", "z", "y"});

// kScene with magnitudes: flat ones on the lens light (line 7), per survey on the source (line 9).
const std::string kColours = edit(
    "amp: 20,", "amp: 20, magnitudes: {VIS: 19.8, Y: 19.1, J: 18.8, H: 18.6},",
    edit("amp: 50,", "amp: 50, magnitudes: {euclid: {VIS: 23.7, Y: 23.6, J: 23.5, H: 23.4}, LSST: {g: 23.9, r: 23.8}},"));

std::string survey_error(const std::string& yaml, const std::vector<Band>& bands, const std::vector<std::string>& observed) {
  try {
    scene_for_survey(parse_scene_yaml(yaml, "scene.yaml"), bands, observed);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

}  // namespace

TEST(SceneYaml, PerBandMagnitudesAreKeptWithTheirKeyPathAndLine) {
  const SceneFile f = parse_scene_yaml(kColours, "scene.yaml");
  // Flat form: straight into LightComponent::magnitudes.
  EXPECT_EQ(f.scene.lens_light[0].magnitudes,
            (std::map<std::string, double>{{"VIS", 19.8}, {"Y", 19.1}, {"J", 18.8}, {"H", 18.6}}));
  ASSERT_EQ(f.lens_light_magnitudes.size(), 1u);
  const LightMagnitudes& lens = f.lens_light_magnitudes[0];
  EXPECT_EQ(lens.component, "lens_light[0]");
  EXPECT_EQ(lens.line, 7);
  ASSERT_EQ(lens.entries.size(), 4u);
  EXPECT_EQ(lens.entries[1].survey, "");
  EXPECT_EQ(lens.entries[1].band, "Y");
  EXPECT_EQ(lens.entries[1].magnitude, 19.1);
  EXPECT_EQ(lens.entries[1].key_path, "lens_light[0].magnitudes.Y");
  EXPECT_EQ(lens.entries[1].line, 7);
  // Per survey: kept as written until a survey is chosen.
  EXPECT_TRUE(f.scene.sources[0].magnitudes.empty());
  const LightMagnitudes& src = f.source_magnitudes.at(0);
  ASSERT_EQ(src.entries.size(), 6u);
  EXPECT_EQ(src.entries[0].survey, "euclid");
  EXPECT_EQ(src.entries[5].survey, "LSST");
  EXPECT_EQ(src.entries[5].key_path, "source_light[0].magnitudes.LSST.r");
  EXPECT_EQ(src.entries[5].magnitude, 23.8);
  // The amplitude stays the reference of the shape.
  EXPECT_EQ(std::get<Sersic>(f.scene.lens_light[0].profile).amp, 20.0);
}

TEST(SceneYaml, ASurveyTakesItsGroupOrTheFlatMagnitudes) {
  const SceneFile f = parse_scene_yaml(kColours, "scene.yaml");
  const Scene euclid = scene_for_survey(f, kEuclid, {"VIS", "H"});
  EXPECT_EQ(euclid.lens_light[0].magnitudes.at("H"), 18.6);
  // The group "euclid" matches the survey "Euclid" (survey names ignore case).
  EXPECT_EQ(euclid.sources[0].magnitudes,
            (std::map<std::string, double>{{"VIS", 23.7}, {"Y", 23.6}, {"J", 23.5}, {"H", 23.4}}));
  // Observed in a band, a component's total flux is the band's flux of its magnitude,
  // 10^(-0.4 (m - zp)) e-/s, whatever its amp (survey/band.hpp, render/observation.hpp).
  Band vis = kEuclid[0];
  vis.zero_point = 25.9;
  const Scene in_vis = scene_in_band(euclid, vis);
  EXPECT_NEAR(total_flux(in_vis.lens_light[0].profile), std::pow(10.0, -0.4 * (19.8 - 25.9)), 1e-12 * 300);
  EXPECT_NEAR(total_flux(in_vis.sources[0].profile), std::pow(10.0, -0.4 * (23.7 - 25.9)), 1e-12 * 10);

  // LSST: the source's LSST group; the lens light's flat magnitudes name no LSST band.
  EXPECT_EQ(survey_error(kColours, kLsst, {"g"}),
            "scene.yaml:7: lens_light[0].magnitudes.VIS: survey LSST has no band 'VIS'; its bands: u, g, r, i, z, y");
  const std::string lsst_scene = edit("magnitudes: {VIS: 19.8, Y: 19.1, J: 18.8, H: 18.6}", "magnitudes: {g: 21.9, r: 20.3}",
                                      kColours);
  const Scene lsst = scene_for_survey(parse_scene_yaml(lsst_scene, "scene.yaml"), kLsst, {"g", "r"});
  EXPECT_EQ(lsst.sources[0].magnitudes, (std::map<std::string, double>{{"g", 23.9}, {"r", 23.8}}));
  EXPECT_EQ(lsst.lens_light[0].magnitudes, (std::map<std::string, double>{{"g", 21.9}, {"r", 20.3}}));
}

TEST(SceneYaml, EntriesWithoutMagnitudesKeepOneAbMagnitudeInEveryBand) {
  // magnitude 21 with zero point 25: AB 21 in every observed band (flat f_nu).
  const SceneFile f = parse_scene_yaml("magnitude_zero_point: 25\n" + edit("amp: 20,", "magnitude: 21,"), "s.yaml");
  const Scene s = scene_for_survey(f, kEuclid, {"VIS", "J"});
  ASSERT_EQ(s.lens_light[0].magnitudes.size(), 2u);
  EXPECT_NEAR(s.lens_light[0].magnitudes.at("VIS"), 21.0, 1e-12);
  EXPECT_NEAR(s.lens_light[0].magnitudes.at("J"), 21.0, 1e-12);
  // amp with the zero point: the magnitude of its total flux.
  const double source_mag = 25 - 2.5 * std::log10(total_flux(f.scene.sources[0].profile));
  EXPECT_NEAR(s.sources[0].magnitudes.at("J"), source_mag, 1e-12);
  // No zero point: the amplitude is used as it is (no magnitudes).
  const Scene plain = scene_for_survey(parse_scene_yaml(kScene, "s.yaml"), kEuclid, {"VIS"});
  EXPECT_TRUE(plain.lens_light[0].magnitudes.empty());
  EXPECT_TRUE(plain.sources[0].magnitudes.empty());
}

TEST(SceneYaml, ExampleScenesHaveColoursForEuclidAndLsst) {
  const std::string configs = test::source_path("configs");
  for (const char* preset : {"euclid", "lsst_10yr"}) {
    const SurveyPreset p = load_survey_preset(configs, preset);
    std::vector<std::string> names;
    for (const Band& b : p.bands) names.push_back(b.name);
    for (const char* scene : {"sie_shear.yaml", "jackpot_double_source.yaml"}) {
      SCOPED_TRACE(std::string(preset) + " " + scene);
      const SceneFile f = load_scene_yaml(test::source_path(std::string("configs/scenes/") + scene));
      Scene s;
      ASSERT_NO_THROW(s = scene_for_survey(f, p.bands, names));
      for (const auto* list : {&s.lens_light, &s.sources})
        for (const LightComponent& c : *list) EXPECT_EQ(c.magnitudes.size(), names.size());
      // The lens galaxies are red: brighter (smaller AB magnitude) in the reddest band.
      EXPECT_LT(s.lens_light[0].magnitudes.at(names.back()), s.lens_light[0].magnitudes.at(names.front()));
    }
  }
}

TEST(SceneYamlErrors, MagnitudesForTheWrongBandsOrSurvey) {
  // A band the survey does not have: the entry's line and key path, the survey's bands.
  EXPECT_EQ(survey_error(edit("H: 18.6}", "H: 18.6, K: 18.2}", kColours), kEuclid, {"VIS"}),
            "scene.yaml:7: lens_light[0].magnitudes.K: survey Euclid has no band 'K'; its bands: VIS, Y, J, H");
  // An observed band without a magnitude.
  EXPECT_EQ(survey_error(edit("Y: 19.1, ", "", kColours), kEuclid, {"VIS", "Y"}),
            "scene.yaml:7: lens_light[0].magnitudes: no magnitude for band Y (observed bands: VIS, Y); give one for "
            "every observed band");
  const std::string no_flat = edit("magnitudes: {VIS: 19.8, Y: 19.1, J: 18.8, H: 18.6},", "", kColours);
  EXPECT_EQ(survey_error(edit("LSST: {g: 23.9, r: 23.8}", "LSST: {g: 23.9}", no_flat), kLsst, {"g", "r"}),
            "scene.yaml:9: source_light[0].magnitudes.LSST: no magnitude for band r (observed bands: g, r); give one "
            "for every observed band");
  // Groups for other surveys only.
  EXPECT_EQ(survey_error(no_flat, survey_bands("HSC", {"g", "r"}), {"g"}),
            "scene.yaml:9: source_light[0].magnitudes: no magnitudes for survey HSC (given for: euclid, LSST); add a "
            "group HSC with the bands g, r");
  // Nothing to rescale: magnitudes on an entry without light.
  EXPECT_EQ(survey_error(edit("amp: 20,", "amp: 0,", kColours), kEuclid, {"VIS"}),
            "scene.yaml:7: lens_light[0].magnitudes: the entry's amp/flux gives no light, so there is no shape to "
            "rescale to the magnitudes; give it a positive amp, flux or magnitude");
  // An observed band that is not the survey's.
  EXPECT_EQ(survey_error(kColours, kEuclid, {"VIS", "K"}), "survey Euclid has no band 'K'; its bands: VIS, Y, J, H");
}

TEST(SceneYamlErrors, MagnitudesSyntax) {
  auto with = [](const std::string& m) { return edit("amp: 20,", "amp: 20, magnitudes: " + m + ","); };
  expect_error(with("19.8"), {"scene.yaml:7:", "lens_light[0].magnitudes: expected a map of AB magnitudes per band"});
  expect_error(with("{}"), {"scene.yaml:7:", "lens_light[0].magnitudes: empty"});
  expect_error(with("{VIS: bright}"), {"scene.yaml:7:", "lens_light[0].magnitudes.VIS: expected a number, found 'bright'"});
  expect_error(with("{VIS: 19.8, VIS: 19.9}"), {"scene.yaml:7:", "lens_light[0].magnitudes.VIS: duplicate key"});
  expect_error(with("{VIS: 19.8, LSST: {g: 20}}"),
               {"scene.yaml:7:", "lens_light[0].magnitudes.LSST: a survey group among band magnitudes"});
  expect_error(with("{LSST: {g: 20}, VIS: 19.8}"),
               {"scene.yaml:7:", "lens_light[0].magnitudes.VIS: expected a map {band: AB magnitude} for survey VIS"});
  expect_error(with("{LSST: {g: 20}, lsst: {g: 21}}"),
               {"scene.yaml:7:", "lens_light[0].magnitudes.lsst: survey lsst is already given as LSST on line 7"});
  expect_error(with("{LSST: {g: {x: 1}}}"),
               {"scene.yaml:7:", "lens_light[0].magnitudes.LSST.g: expected an AB magnitude, found a map"});
  expect_error(with("{LSST: {}}"), {"scene.yaml:7:", "lens_light[0].magnitudes.LSST: empty"});
}
