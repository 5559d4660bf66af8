#pragma once
// Mass profiles: parameter types with lenstronomy's names and conventions, and the functions
// that evaluate them. All angles in arcsec; deflections are REDUCED (scaled to the source plane
// for which theta_E is defined); potentials in arcsec^2.
//
// Evaluation is batched: one std::visit per call, then a branch-light loop over n points that
// compiles to float32/float64 SIMD (see the *_kernels.cpp files). The scalar helpers below are
// conveniences for tests and root finding.
#include <cstddef>
#include <string>
#include <variant>

namespace lensforge {

/// Singular isothermal ellipsoid (lenstronomy "SIE"):
/// kappa = (theta_E/2) / sqrt(q x'^2 + y'^2/q), theta_E on the intermediate axis.
/// Like lenstronomy (whose SIE is its NIE with s_scale = 1e-10) it keeps a 1e-10 arcsec core, which
/// only matters within ~1e-8 arcsec of the centre and keeps the centre finite.
struct Sie {
  double theta_E = 1.0;   ///< arcsec, > 0
  double e1 = 0.0;        ///< ellipticity component, |e| < 1
  double e2 = 0.0;        ///< ellipticity component, |e| < 1
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// Singular isothermal sphere (lenstronomy "SIS"): kappa = theta_E / (2 r), |alpha| = theta_E.
struct Sis {
  double theta_E = 1.0;   ///< arcsec, > 0
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// Elliptical power law (lenstronomy "EPL", Tessore & Metcalf 2015):
/// kappa = (3-gamma)/2 (theta_E / sqrt(q x'^2 + y'^2/q))^(gamma-1); gamma = 2 is the SIE.
/// Evaluated with a hypergeometric series truncated at 1e-10 (float: 1e-7); its length, hence the cost
/// per point, grows with the ellipticity: ~10 terms at q = 0.7, ~30 at q = 0.3, ~100 at q = 0.1.
struct Epl {
  double theta_E = 1.0;   ///< arcsec, > 0
  double gamma = 2.0;     ///< logarithmic 3D density slope, (1, 3) exclusive
  double e1 = 0.0;        ///< ellipticity component, |e| < 1
  double e2 = 0.0;        ///< ellipticity component, |e| < 1
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// Spherical NFW (lenstronomy "NFW"): rho = rho0 / ((r/Rs)(1 + r/Rs)^2).
/// Within 1e-6 Rs of the centre every value is that at 1e-6 Rs (the deflection falls linearly to 0).
struct Nfw {
  double Rs = 1.0;        ///< arcsec, angular scale radius, > 0
  double alpha_Rs = 1.0;  ///< arcsec, deflection at r = Rs, >= 0
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// Point mass (lenstronomy "POINT_MASS"): psi = theta_E^2 ln r, |alpha| = theta_E^2 / r.
struct PointMass {
  double theta_E = 1.0;   ///< arcsec, >= 0
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// External shear (lenstronomy "SHEAR"): psi = gamma1/2 (x^2 - y^2) + gamma2 x y with
/// x = x - ra_0, y = y - dec_0 (centred on the coordinate origin by default, NOT the lens).
struct Shear {
  double gamma1 = 0.0;  ///< dimensionless, |gamma| < 1
  double gamma2 = 0.0;  ///< dimensionless
  double ra_0 = 0.0;    ///< arcsec, origin of the shear field
  double dec_0 = 0.0;   ///< arcsec
};

/// Uniform mass sheet (lenstronomy "CONVERGENCE"): psi = kappa/2 ((x-ra_0)^2 + (y-dec_0)^2).
struct Convergence {
  double kappa = 0.0;  ///< dimensionless, external convergence
  double ra_0 = 0.0;   ///< arcsec
  double dec_0 = 0.0;  ///< arcsec
};

using MassProfile = std::variant<Sie, Sis, Epl, Nfw, PointMass, Shear, Convergence>;

/// lenstronomy's name of the profile ("SIE", "SHEAR", ...).
const char* name(const MassProfile& p);

/// Empty when the parameters are valid, else a message naming the parameter, its value and the
/// allowed range (e.g. "theta_E = -1 must be > 0 arcsec").
std::string validate(const MassProfile& p);

/// Second derivatives of the lensing potential (dimensionless).
struct Hessian {
  double f_xx = 0.0, f_xy = 0.0, f_yy = 0.0;
  double kappa() const { return 0.5 * (f_xx + f_yy); }
  double gamma1() const { return 0.5 * (f_xx - f_yy); }
  double gamma2() const { return f_xy; }
  /// det of the lens Jacobian A = 1 - Hessian; better behaved than 1/det near critical curves.
  double det_A() const { return (1.0 - f_xx) * (1.0 - f_yy) - f_xy * f_xy; }
  /// Signed magnification 1/det A.
  double magnification() const { return 1.0 / det_A(); }
};

// ---- batched evaluation: ADD the profile's value at (x[k], y[k]) to the outputs, k < n --------
// p must satisfy validate() (not re-checked here); outputs must not alias the inputs. Every profile is
// finite everywhere, exactly at its centre too, where the deflection is 0 (singular profiles floor the
// radius: r >= 1e-10 arcsec for SIS and POINT_MASS, elliptical radius >= 1e-9 arcsec for EPL).
void add_deflection(const MassProfile& p, const float* x, const float* y, float* ax, float* ay, std::size_t n);
void add_deflection(const MassProfile& p, const double* x, const double* y, double* ax, double* ay, std::size_t n);
void add_potential(const MassProfile& p, const float* x, const float* y, float* psi, std::size_t n);
void add_potential(const MassProfile& p, const double* x, const double* y, double* psi, std::size_t n);
void add_hessian(const MassProfile& p, const float* x, const float* y, float* f_xx, float* f_xy, float* f_yy, std::size_t n);
void add_hessian(const MassProfile& p, const double* x, const double* y, double* f_xx, double* f_xy, double* f_yy, std::size_t n);

// ---- scalar conveniences (double precision) ---------------------------------------------------
struct Deflection {
  double x = 0.0, y = 0.0;  ///< arcsec
};
Deflection deflection(const MassProfile& p, double x, double y);
double potential(const MassProfile& p, double x, double y);
Hessian hessian(const MassProfile& p, double x, double y);

}  // namespace lensforge
