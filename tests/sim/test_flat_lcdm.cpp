#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "test_support.hpp"

using namespace lensforge;

namespace {

// The quadrature is accurate to ~1e-12 relative (see flat_lcdm.cpp); astropy 5.2 evaluates flat
// LCDM without radiation by its elliptic-integral closed form (~1e-15), and the constants are the
// same, so 1e-10 leaves margin only for rounding, not for a wrong formula or constant.
constexpr double kRel = 1e-10;

void expect_rel(double got, double want, double rel = kRel) { EXPECT_NEAR(got, want, rel * std::abs(want)); }

// Reference numbers made with /usr/bin/python3, astropy 5.2.1 (Debian 12):
//   c = astropy.cosmology.FlatLambdaCDM(H0=H0, Om0=Om0)       # Tcmb0 = 0
//   c.comoving_distance(z), c.angular_diameter_distance(z), c.angular_diameter_distance_z1z2(z1, z2)
//   sigma_crit = (const.c**2 / (4 pi const.G) * D_s / (D_l D_ls)).to(u.M_sun / u.Mpc**2)
//   sigma_crit_arcsec2 = sigma_crit * (D_l [Mpc] * u.arcsec.to(u.rad))**2
//   sis_theta_E = 4 pi (250 km/s / const.c)**2 D_ls / D_s / u.arcsec.to(u.rad)
struct AstropyCase {
  double H0, Om0;
  double dc_01, dc_05, dc_2, dc_6;  // comoving distance at z = 0.1, 0.5, 2, 6
  double da_03, da_15;              // angular-diameter distance at z = 0.3, 1.5
  double da_05_2, da_1_3;           // D_A(0.5, 2), D_A(1, 3)
  double sigma_crit, sigma_crit_arcsec2, theta_E_250;  // z_l = 0.5, z_s = 2
};

constexpr AstropyCase kAstropy[] = {
    {70.0, 0.3, 418.4544876277049, 1888.62539593342, 5179.862074409376, 8246.92002824499, 918.7668228578696,
     1745.5423064934434, 1097.0788928253187, 762.9641576024993, 2078619362158513.8, 77452213587.15768,
     1.1452875169151042},
    {67.7, 0.31, 432.34823849070017, 1946.0662648739813, 5310.612926406324, 8432.613076223724,
     947.9198907950712, 1791.4494367445618, 1121.515553844114, 778.0237821293628, 2023122501429358.2,
     80039551117.72797, 1.1419721593630094},
};

}  // namespace

TEST(FlatLambdaCDM, MatchesAstropy) {
  for (const AstropyCase& r : kAstropy) {
    SCOPED_TRACE("H0 = " + std::to_string(r.H0) + ", Om0 = " + std::to_string(r.Om0));
    const FlatLambdaCDM c(r.H0, r.Om0);
    expect_rel(c.comoving_distance(0.1), r.dc_01);
    expect_rel(c.comoving_distance(0.5), r.dc_05);
    expect_rel(c.comoving_distance(2.0), r.dc_2);
    expect_rel(c.comoving_distance(6.0), r.dc_6);
    expect_rel(c.angular_diameter_distance(0.3), r.da_03);
    expect_rel(c.angular_diameter_distance(1.5), r.da_15);
    expect_rel(c.angular_diameter_distance(0.5, 2.0), r.da_05_2);
    expect_rel(c.angular_diameter_distance(1.0, 3.0), r.da_1_3);
    expect_rel(c.sigma_crit(0.5, 2.0), r.sigma_crit);
    expect_rel(c.sigma_crit_arcsec2(0.5, 2.0), r.sigma_crit_arcsec2);
    expect_rel(c.sis_theta_E(250.0, 0.5, 2.0), r.theta_E_250);
  }
}

TEST(FlatLambdaCDM, MatchesMultiPlaneReferenceDistances) {
  const auto ref = test::read_json(test::shared_path("reference/ref_multiplane.json"));
  const FlatLambdaCDM c(ref["cosmology"]["H0"].get<double>(), ref["cosmology"]["Om0"].get<double>());
  const auto& d = ref["distances_Mpc"];
  expect_rel(c.angular_diameter_distance(0.3), d["D_A(0,0.3)"].get<double>());
  expect_rel(c.angular_diameter_distance(0.8), d["D_A(0,0.8)"].get<double>());
  expect_rel(c.angular_diameter_distance(2.0), d["D_A(0,2.0)"].get<double>());
  expect_rel(c.angular_diameter_distance(0.3, 0.8), d["D_A(0.3,0.8)"].get<double>());
  expect_rel(c.angular_diameter_distance(0.3, 2.0), d["D_A(0.3,2.0)"].get<double>());
  expect_rel(c.angular_diameter_distance(0.8, 2.0), d["D_A(0.8,2.0)"].get<double>());
  expect_rel(c.comoving_distance(0.3), d["T(0,0.3)"].get<double>());
  expect_rel(c.comoving_distance(0.8), d["T(0,0.8)"].get<double>());
  expect_rel(c.comoving_distance(2.0), d["T(0,2.0)"].get<double>());
  expect_rel(c.comoving_transverse_distance(0.3, 0.8), d["T(0.3,0.8)"].get<double>());
  expect_rel(c.comoving_transverse_distance(0.8, 2.0), d["T(0.8,2.0)"].get<double>());
  // lenstronomy's reduced -> physical deflection factor D(0, z_s) / D(z_l, z_s).
  expect_rel(c.angular_diameter_distance(2.0) / c.angular_diameter_distance(0.3, 2.0),
             d["reduced2physical_factor_z0.3"].get<double>());
  expect_rel(c.angular_diameter_distance(2.0) / c.angular_diameter_distance(0.8, 2.0),
             d["reduced2physical_factor_z0.8"].get<double>());
}

TEST(FlatLambdaCDM, ClosedFormLimits) {
  // Om0 = 0 (de Sitter): D_C = D_H z. Om0 = 1 (Einstein-de Sitter): D_C = 2 D_H (1 - 1/sqrt(1+z)).
  const FlatLambdaCDM ds(70.0, 0.0), eds(70.0, 1.0);
  for (double z : {0.01, 0.7, 3.0, 20.0, 1100.0}) {
    expect_rel(ds.comoving_distance(z), ds.hubble_distance() * z, 1e-13);
    expect_rel(eds.comoving_distance(z), 2.0 * eds.hubble_distance() * (1.0 - 1.0 / std::sqrt(1.0 + z)), 1e-13);
  }
}

TEST(FlatLambdaCDM, DistanceIdentities) {
  const FlatLambdaCDM c(70.0, 0.3);
  EXPECT_DOUBLE_EQ(c.hubble_distance(), 299792.458 / 70.0);
  EXPECT_EQ(c.comoving_distance(0.0), 0.0);
  EXPECT_EQ(c.angular_diameter_distance(1.2, 1.2), 0.0);
  EXPECT_EQ(c.angular_diameter_distance(0.0, 1.2), c.angular_diameter_distance(1.2));
  // Additivity of comoving distance (flat), including a pair only 1e-6 apart, which the direct
  // integration resolves to full relative precision: D_C(z, z+dz) = D_H dz / E(z) (1 + O(dz)).
  for (double z1 : {0.2, 1.0, 4.0}) {
    const double z2 = z1 + 1.3;
    expect_rel(c.comoving_transverse_distance(z1, z2), c.comoving_distance(z2) - c.comoving_distance(z1), 1e-12);
    const double z2_close = z1 + 1e-6, dz = z2_close - z1;  // dz exactly as the code sees it
    const double e = std::sqrt(0.3 * std::pow(1.0 + z1 + 0.5 * dz, 3) + 0.7);
    expect_rel(c.comoving_transverse_distance(z1, z2_close), c.hubble_distance() * dz / e, 1e-12);
  }
}

TEST(FlatLambdaCDM, RejectsInvalidInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(FlatLambdaCDM(0.0, 0.3), ConfigError);
  EXPECT_THROW(FlatLambdaCDM(1000.0, 0.3), ConfigError);
  EXPECT_THROW(FlatLambdaCDM(70.0, -0.1), ConfigError);
  EXPECT_THROW(FlatLambdaCDM(70.0, 1.1), ConfigError);
  EXPECT_THROW(FlatLambdaCDM(nan, 0.3), ConfigError);
  const FlatLambdaCDM c;
  EXPECT_THROW(c.comoving_distance(-0.1), ConfigError);
  EXPECT_THROW(c.comoving_distance(nan), ConfigError);
  EXPECT_THROW(c.comoving_distance(std::numeric_limits<double>::infinity()), ConfigError);
  EXPECT_THROW(c.angular_diameter_distance(2.0, 1.0), ConfigError);
  EXPECT_THROW(c.sigma_crit(1.0, 1.0), ConfigError);
  EXPECT_THROW(c.sigma_crit(0.0, 1.0), ConfigError);
  EXPECT_THROW(c.sis_theta_E(-5.0, 0.5, 2.0), ConfigError);
  try {
    FlatLambdaCDM(70.0, 1.5);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Om0 = 1.5 must be in [0, 1]"), std::string::npos) << e.what();
  }
}
