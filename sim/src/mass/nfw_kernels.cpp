// Spherical NFW kernels (lenstronomy "NFW"), X = R/Rs floored at kNfwXFloor,
// rho0 = alpha_Rs / (4 Rs^2 (1 + ln 1/2)):
//   alpha = 4 rho0 Rs^3 g(X) / R (radial),  g(X) = ln(X/2) + A(X),
//   potential = 2 rho0 Rs^3 h(X),            h(X) = ln^2(X/2) - arccosh^2(1/X) (X < 1), + arccos^2(1/X) (X > 1),
//   kappa = 2 rho0 Rs F(X),                  F(X) = (A(X) - 1) / (1 - X^2),
//   |gamma| = 2 rho0 Rs (2 g(X)/X^2 - F(X)) (tangential),
// with A(X) = arccosh(1/X)/sqrt(1 - X^2) (X < 1), arccos(1/X)/sqrt(X^2 - 1) (X > 1). Written with
// u = 1 - X^2, s = sqrt|u| and d = 1 - s = X^2/(1 + s) so that nothing cancels catastrophically:
//   X < 1: arccosh(1/X) = atanh(s) = log1p((1 - X + s)/X),  g = (d ln(2/X) + log1p(-d/2)) / s,
//          h = ln(d/2) log1p(-d/2)   (= (a - c)(a + c) with a = ln(X/2), c = arccosh(1/X));
//   X > 1: arccos(1/X) = atan(s);
//   |u| < kSeriesU: F = (A - 1)/u = sum_{n>=1} u^(n-1)/(2n+1) (A is analytic in u through X = 1),
//          g = ln(X/2) + 1 + u F.
// All branches are evaluated and selected per lane; the discarded ones may be inf/NaN.
#include <algorithm>
#include <cmath>

#include "kernels.hpp"

namespace lensforge::kernels {
namespace {

// Series region |1 - X^2| < 0.05: the 12 terms below leave 0.05^12/25 < 1e-17; outside it the direct
// forms lose at most eps/0.05 relative (1e-6 in float) to the cancellation in A - 1.
constexpr double kSeriesU = 0.05;
constexpr int kSeriesTerms = 12;

template <class T>
struct NfwConst {
  T cx, cy, inv_rs, rs2, r2floor, a0, k0, p0;
  explicit NfwConst(const Nfw& p) {
    const double rho0 = p.alpha_Rs / (4.0 * p.Rs * p.Rs * (1.0 + std::log(0.5)));
    cx = T(p.center_x);
    cy = T(p.center_y);
    inv_rs = T(1.0 / p.Rs);
    rs2 = T(p.Rs * p.Rs);
    r2floor = T(kNfwXFloor * kNfwXFloor * p.Rs * p.Rs);
    a0 = T(4.0 * rho0 * p.Rs * p.Rs * p.Rs);
    k0 = T(2.0 * rho0 * p.Rs);
    p0 = T(2.0 * rho0 * p.Rs * p.Rs * p.Rs);
  }
};

/// (A - 1)/u = sum_{n>=1} u^(n-1)/(2n+1), Horner.
template <class T>
inline T series_f(T u) {
  T acc = T(1.0 / (2 * kSeriesTerms + 1));
  for (int n = kSeriesTerms - 1; n >= 1; --n) acc = acc * u + T(1.0 / (2 * n + 1));
  return acc;
}

/// g(X) and F(X) for one point.
template <class T>
inline void nfw_g_f(T X, T& g, T& F) {
  const T u = (T(1) - X) * (T(1) + X), s = std::sqrt(std::abs(u));
  const T lnx2 = std::log(T(0.5) * X);
  // X < 1
  const T d = X * X / (T(1) + s);
  const T g_lo = (d * -lnx2 + std::log1p(T(-0.5) * d)) / s;
  const T f_lo = (std::log1p((T(1) - X + s) / X) / s - T(1)) / u;
  // X > 1
  const T a_hi = std::atan(s) / s;
  const T g_hi = lnx2 + a_hi;
  const T f_hi = (a_hi - T(1)) / u;
  // |u| small
  const T f_se = series_f(u);
  const T g_se = lnx2 + T(1) + u * f_se;
  const bool near = std::abs(u) < T(kSeriesU), lo = X < T(1);
  g = near ? g_se : (lo ? g_lo : g_hi);
  F = near ? f_se : (lo ? f_lo : f_hi);
}

}  // namespace

template <class T>
void deflection(const Nfw& p, const T* __restrict x, const T* __restrict y, T* __restrict ax, T* __restrict ay,
                std::size_t n) {
  const NfwConst<T> k(p);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - k.cx, dy = y[i] - k.cy;
    const T r2 = std::max(dx * dx + dy * dy, k.r2floor);
    T g, F;
    nfw_g_f(std::sqrt(r2) * k.inv_rs, g, F);
    const T a = k.a0 * g / r2;
    ax[i] += a * dx;
    ay[i] += a * dy;
  }
}

template <class T>
void potential(const Nfw& p, const T* __restrict x, const T* __restrict y, T* __restrict psi, std::size_t n) {
  const NfwConst<T> k(p);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - k.cx, dy = y[i] - k.cy;
    const T X = std::sqrt(std::max(dx * dx + dy * dy, k.r2floor)) * k.inv_rs;
    const T u = (T(1) - X) * (T(1) + X), s = std::sqrt(std::abs(u));
    const T d = X * X / (T(1) + s);
    const T h_lo = std::log(T(0.5) * d) * std::log1p(T(-0.5) * d);
    const T lnx2 = std::log(T(0.5) * X), at = std::atan(s);
    const T h_hi = lnx2 * lnx2 + at * at;
    psi[i] += k.p0 * (X < T(1) ? h_lo : h_hi);
  }
}

template <class T>
void hessian(const Nfw& p, const T* __restrict x, const T* __restrict y, T* __restrict fxx, T* __restrict fxy,
             T* __restrict fyy, std::size_t n) {
  const NfwConst<T> k(p);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - k.cx, dy = y[i] - k.cy;
    const T r2 = std::max(dx * dx + dy * dy, k.r2floor);
    T g, F;
    nfw_g_f(std::sqrt(r2) * k.inv_rs, g, F);
    const T kappa = k.k0 * F;
    const T gt = k.k0 * (T(2) * g * k.rs2 / r2 - F);  // tangential shear
    const T g1 = gt * (dy * dy - dx * dx) / r2, g2 = T(-2) * gt * dx * dy / r2;
    fxx[i] += kappa + g1;
    fxy[i] += g2;
    fyy[i] += kappa - g1;
  }
}

template void deflection<float>(const Nfw&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Nfw&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Nfw&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Nfw&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Nfw&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Nfw&, const double*, const double*, double*, double*, double*, std::size_t);

}  // namespace lensforge::kernels
