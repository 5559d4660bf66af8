#include "lensforge/sim/cosmo/flat_lcdm.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {
namespace {

// Physical constants as astropy 5.2 defines them (astropy.constants, CODATA 2018 / IAU 2015).
constexpr double kSpeedOfLightKms = 299792.458;          // c, km/s (exact)
constexpr double kSpeedOfLightMs = 299792458.0;          // c, m/s (exact)
constexpr double kGravitationalConstant = 6.6743e-11;    // G, m^3 kg^-1 s^-2 (CODATA 2018)
constexpr double kSolarMassKg = 1.988409870698051e30;    // M_sun = GM_sun / G, kg (IAU 2015 B3 + CODATA 2018)
constexpr double kMegaparsecM = 3.085677581491367e22;    // Mpc = 1e6 au / tan(1 arcsec), m (au = 149597870700 m)
constexpr double kArcsecRad = std::numbers::pi / 648000.0;

// c^2 / (4 pi G) in M_sun per Mpc: Sigma_crit [M_sun/Mpc^2] = this * D_s / (D_l D_ls) [1/Mpc].
constexpr double kSigmaCritFactor =
    kSpeedOfLightMs * kSpeedOfLightMs / (4.0 * std::numbers::pi * kGravitationalConstant) * kMegaparsecM /
    kSolarMassKg;

// 8-point Gauss-Legendre rule on [-1, 1] (symmetric half: nodes > 0 and their weights).
constexpr double kGlNode[4] = {0.18343464249564978, 0.525532409916329, 0.7966664774136267, 0.9602898564975362};
constexpr double kGlWeight[4] = {0.36268378337836177, 0.31370664587788705, 0.22238103445337434,
                                 0.10122853629037669};
// Widest sub-interval in s = ln(1+z). In s the integrand (1+z)/E(z) = e^s / sqrt(Om e^{3s} + 1 - Om)
// is analytic in the strip |Im s| < pi/3 for every Om0 in [0, 1], so 8 nodes on width 0.5 converge
// like rho^-16 with rho ~ 8.5: ~1e-15 relative, checked against astropy's elliptic-integral
// closed form for Om0 in [0.01, 1] and z up to 1100 (worst 2e-12, astropy's own rounding).
constexpr double kMaxInterval = 0.5;

void check_z(double z, const char* what) {
  if (!(z >= 0.0) || !std::isfinite(z))
    throw ConfigError(fmt::format("FlatLambdaCDM: {} = {} must be a finite redshift >= 0", what, z));
}

void check_pair(double z1, double z2) {
  check_z(z1, "z1");
  check_z(z2, "z2");
  if (z1 > z2)
    throw ConfigError(fmt::format("FlatLambdaCDM: z1 = {} must be <= z2 = {}", z1, z2));
}

}  // namespace

FlatLambdaCDM::FlatLambdaCDM(double H0, double Om0) : H0_(H0), Om0_(Om0) {
  if (!(H0 > 0.0 && H0 < 1000.0))
    throw ConfigError(fmt::format("FlatLambdaCDM: H0 = {} must be in (0, 1000) km/s/Mpc", H0));
  if (!(Om0 >= 0.0 && Om0 <= 1.0))
    throw ConfigError(fmt::format("FlatLambdaCDM: Om0 = {} must be in [0, 1]", Om0));
}

double FlatLambdaCDM::hubble_distance() const { return kSpeedOfLightKms / H0_; }

double FlatLambdaCDM::comoving_transverse_distance(double z1, double z2) const {
  check_pair(z1, z2);
  // D_C = D_H int_{z1}^{z2} dz / E(z) = D_H int_{s1}^{s2} w / sqrt(Om w^3 + 1 - Om) ds, w = 1+z = e^s,
  // integrated directly (not as a difference) so that close redshift pairs keep full relative precision.
  // span = s2 - s1 without cancellation (z2 - z1 is exact for close pairs).
  const double span = std::log1p((z2 - z1) / (1.0 + z1));
  if (!(span > 0.0)) return 0.0;
  const int m = std::max(1, static_cast<int>(std::ceil(span / kMaxInterval)));
  const double h = span / m, half = 0.5 * h;
  // w at the nodes of sub-interval k: w_k(x) = (1+z1) e^{k h} e^{half (1 + x)}, so exp() is called
  // only for the per-call factors and the sub-intervals advance by one multiplication.
  double lo[4], hi[4];
  for (int i = 0; i < 4; ++i) {
    lo[i] = std::exp(half * (1.0 - kGlNode[i]));
    hi[i] = std::exp(half * (1.0 + kGlNode[i]));
  }
  const double step = std::exp(h), om = Om0_, ol = 1.0 - Om0_;
  double w0 = 1.0 + z1, sum = 0.0;
  for (int k = 0; k < m; ++k, w0 *= step) {
    for (int i = 0; i < 4; ++i) {
      const double a = w0 * lo[i], b = w0 * hi[i];
      sum += kGlWeight[i] * (a / std::sqrt(om * a * a * a + ol) + b / std::sqrt(om * b * b * b + ol));
    }
  }
  return hubble_distance() * half * sum;
}

double FlatLambdaCDM::comoving_distance(double z) const { return comoving_transverse_distance(0.0, z); }

double FlatLambdaCDM::angular_diameter_distance(double z) const { return comoving_distance(z) / (1.0 + z); }

double FlatLambdaCDM::angular_diameter_distance(double z1, double z2) const {
  return comoving_transverse_distance(z1, z2) / (1.0 + z2);
}

double FlatLambdaCDM::sigma_crit(double z_l, double z_s) const {
  check_pair(0.0, z_l);
  check_pair(z_l, z_s);
  if (!(z_l > 0.0 && z_s > z_l))
    throw ConfigError(fmt::format("FlatLambdaCDM::sigma_crit: needs 0 < z_l < z_s, got z_l = {}, z_s = {}", z_l, z_s));
  const double d_l = angular_diameter_distance(z_l), d_s = angular_diameter_distance(z_s);
  const double d_ls = angular_diameter_distance(z_l, z_s);
  return kSigmaCritFactor * d_s / (d_l * d_ls);
}

double FlatLambdaCDM::sigma_crit_arcsec2(double z_l, double z_s) const {
  const double d_l_arcsec = angular_diameter_distance(z_l) * kArcsecRad;  // Mpc per arcsec
  return sigma_crit(z_l, z_s) * d_l_arcsec * d_l_arcsec;
}

double FlatLambdaCDM::sis_theta_E(double sigma_v_kms, double z_l, double z_s) const {
  if (!(sigma_v_kms >= 0.0) || !std::isfinite(sigma_v_kms))
    throw ConfigError(
        fmt::format("FlatLambdaCDM::sis_theta_E: sigma_v = {} must be a finite velocity dispersion >= 0 km/s", sigma_v_kms));
  check_pair(z_l, z_s);
  if (!(z_s > z_l))
    throw ConfigError(fmt::format("FlatLambdaCDM::sis_theta_E: needs z_l < z_s, got z_l = {}, z_s = {}", z_l, z_s));
  const double v = sigma_v_kms / kSpeedOfLightKms;
  const double ratio = comoving_transverse_distance(z_l, z_s) / comoving_distance(z_s);  // D_ls / D_s
  return 4.0 * std::numbers::pi * v * v * ratio / kArcsecRad;
}

}  // namespace lensforge
