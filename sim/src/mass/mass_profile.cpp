#include "lensforge/sim/mass/mass_profile.hpp"

#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "kernels.hpp"

namespace lensforge {
namespace {

constexpr const char* profile_name(const Sie&) { return "SIE"; }
constexpr const char* profile_name(const Sis&) { return "SIS"; }
constexpr const char* profile_name(const Epl&) { return "EPL"; }
constexpr const char* profile_name(const Nfw&) { return "NFW"; }
constexpr const char* profile_name(const PointMass&) { return "POINT_MASS"; }
constexpr const char* profile_name(const Shear&) { return "SHEAR"; }
constexpr const char* profile_name(const Convergence&) { return "CONVERGENCE"; }

// Each check returns "" when the value is allowed, else "<PROFILE> <param> = <value> must be <range>".
std::string finite(const char* prof, const char* par, double v) {
  return std::isfinite(v) ? std::string() : fmt::format("{} {} = {} must be finite", prof, par, v);
}

std::string positive(const char* prof, const char* par, double v, const char* unit) {
  if (!(v > 0.0)) return fmt::format("{} {} = {} must be > 0 {}", prof, par, v, unit);
  return finite(prof, par, v);
}

std::string non_negative(const char* prof, const char* par, double v, const char* unit) {
  if (!(v >= 0.0)) return fmt::format("{} {} = {} must be >= 0 {}", prof, par, v, unit);
  return finite(prof, par, v);
}

std::string ellipticity(const char* prof, double e1, double e2) {
  const double e = std::hypot(e1, e2);
  if (!(e < 1.0))
    return fmt::format("{} ellipticity |e| = sqrt(e1^2 + e2^2) = {} (e1 = {}, e2 = {}) must be < 1", prof, e, e1, e2);
  return {};
}

std::string first_error(std::initializer_list<std::string> checks) {
  for (const std::string& m : checks)
    if (!m.empty()) return m;
  return {};
}

std::string check(const Sie& p) {
  return first_error({positive("SIE", "theta_E", p.theta_E, "arcsec"), ellipticity("SIE", p.e1, p.e2),
                      finite("SIE", "center_x", p.center_x), finite("SIE", "center_y", p.center_y)});
}

std::string check(const Sis& p) {
  return first_error({positive("SIS", "theta_E", p.theta_E, "arcsec"), finite("SIS", "center_x", p.center_x),
                      finite("SIS", "center_y", p.center_y)});
}

std::string check(const Epl& p) {
  const std::string slope = (p.gamma > 1.0 && p.gamma < 3.0)
                                ? std::string()
                                : fmt::format("EPL gamma = {} must be in (1, 3), both ends excluded", p.gamma);
  return first_error({positive("EPL", "theta_E", p.theta_E, "arcsec"), slope, ellipticity("EPL", p.e1, p.e2),
                      finite("EPL", "center_x", p.center_x), finite("EPL", "center_y", p.center_y)});
}

std::string check(const Nfw& p) {
  return first_error({positive("NFW", "Rs", p.Rs, "arcsec"), non_negative("NFW", "alpha_Rs", p.alpha_Rs, "arcsec"),
                      finite("NFW", "center_x", p.center_x), finite("NFW", "center_y", p.center_y)});
}

std::string check(const PointMass& p) {
  return first_error({non_negative("POINT_MASS", "theta_E", p.theta_E, "arcsec"),
                      finite("POINT_MASS", "center_x", p.center_x), finite("POINT_MASS", "center_y", p.center_y)});
}

std::string check(const Shear& p) {
  const double g = std::hypot(p.gamma1, p.gamma2);
  const std::string strength =
      g < 1.0 ? std::string()
              : fmt::format("SHEAR |gamma| = sqrt(gamma1^2 + gamma2^2) = {} (gamma1 = {}, gamma2 = {}) must be < 1", g,
                            p.gamma1, p.gamma2);
  return first_error({strength, finite("SHEAR", "ra_0", p.ra_0), finite("SHEAR", "dec_0", p.dec_0)});
}

std::string check(const Convergence& p) {
  return first_error({finite("CONVERGENCE", "kappa", p.kappa), finite("CONVERGENCE", "ra_0", p.ra_0),
                      finite("CONVERGENCE", "dec_0", p.dec_0)});
}

// TEMPORARY (removed with the EPL and NFW kernels in the next commit).
template <class P>
constexpr bool kPending = std::is_same_v<P, Epl> || std::is_same_v<P, Nfw>;

template <class T>
void deflection_impl(const MassProfile& p, const T* x, const T* y, T* ax, T* ay, std::size_t n) {
  std::visit(
      [&](const auto& q) {
        if constexpr (kPending<std::decay_t<decltype(q)>>)
          throw std::logic_error("EPL and NFW are not implemented yet on this branch");
        else
          kernels::deflection(q, x, y, ax, ay, n);
      },
      p);
}

template <class T>
void potential_impl(const MassProfile& p, const T* x, const T* y, T* psi, std::size_t n) {
  std::visit(
      [&](const auto& q) {
        if constexpr (kPending<std::decay_t<decltype(q)>>)
          throw std::logic_error("EPL and NFW are not implemented yet on this branch");
        else
          kernels::potential(q, x, y, psi, n);
      },
      p);
}

template <class T>
void hessian_impl(const MassProfile& p, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n) {
  std::visit(
      [&](const auto& q) {
        if constexpr (kPending<std::decay_t<decltype(q)>>)
          throw std::logic_error("EPL and NFW are not implemented yet on this branch");
        else
          kernels::hessian(q, x, y, fxx, fxy, fyy, n);
      },
      p);
}

}  // namespace

const char* name(const MassProfile& p) {
  return std::visit([](const auto& q) { return profile_name(q); }, p);
}

std::string validate(const MassProfile& p) {
  return std::visit([](const auto& q) { return check(q); }, p);
}

void add_deflection(const MassProfile& p, const float* x, const float* y, float* ax, float* ay, std::size_t n) {
  deflection_impl(p, x, y, ax, ay, n);
}
void add_deflection(const MassProfile& p, const double* x, const double* y, double* ax, double* ay, std::size_t n) {
  deflection_impl(p, x, y, ax, ay, n);
}
void add_potential(const MassProfile& p, const float* x, const float* y, float* psi, std::size_t n) {
  potential_impl(p, x, y, psi, n);
}
void add_potential(const MassProfile& p, const double* x, const double* y, double* psi, std::size_t n) {
  potential_impl(p, x, y, psi, n);
}
void add_hessian(const MassProfile& p, const float* x, const float* y, float* f_xx, float* f_xy, float* f_yy,
                 std::size_t n) {
  hessian_impl(p, x, y, f_xx, f_xy, f_yy, n);
}
void add_hessian(const MassProfile& p, const double* x, const double* y, double* f_xx, double* f_xy, double* f_yy,
                 std::size_t n) {
  hessian_impl(p, x, y, f_xx, f_xy, f_yy, n);
}

Deflection deflection(const MassProfile& p, double x, double y) {
  Deflection a;
  add_deflection(p, &x, &y, &a.x, &a.y, 1);
  return a;
}

double potential(const MassProfile& p, double x, double y) {
  double psi = 0.0;
  add_potential(p, &x, &y, &psi, 1);
  return psi;
}

Hessian hessian(const MassProfile& p, double x, double y) {
  Hessian h;
  add_hessian(p, &x, &y, &h.f_xx, &h.f_xy, &h.f_yy, 1);
  return h;
}

}  // namespace lensforge
