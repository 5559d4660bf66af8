// SIE kernels: lenstronomy's "SIE", i.e. its NIE with core s_scale = 1e-10 arcsec (kSieCore).
// Kormann et al. 1994 / Keeton 2001 closed form in the major-axis frame, with
//   b = theta_E sqrt(q),  s = sqrt(1 - q^2),  c = s_scale / sqrt(q),  psi = sqrt(q^2 (c^2 + x'^2) + y'^2):
//   alpha_x' = b/s atan(s x' / (psi + c)),   alpha_y' = b/s atanh(s y' / (psi + q^2 c)),
//   potential = x' alpha_x' + y' alpha_y' - (b c / 2) ln((psi + c)^2 + s^2 x'^2),
//   with D = r'^2 + (1 + q^2) c^2 + 2 c psi  (= (psi + c)^2 + s^2 x'^2, r'^2 = x'^2 + y'^2):
//   f_x'x' = b (y'^2 + q^2 c^2 + c psi) / (psi D),  f_y'y' = b (x'^2 + c^2 + c psi) / (psi D),
//   f_x'y' = -b x' y' / (psi D).
// With c -> 0 these are the singular closed form (f_x'x' = b y'^2 / (psi r'^2), ...); the core only
// matters within ~1e-8 arcsec of the centre, where it keeps every value finite.
#include <cmath>

#include "kernels.hpp"

namespace lensforge::kernels {
namespace {

// For s = sqrt(1 - q^2) below this the atan/atanh forms are replaced by their series,
// atan(s u)/s = u (1 - s^2 u^2 / 3) and atanh(s v)/s = v (1 + s^2 v^2 / 3) with |u|, |v| <= 1/q:
// truncation (s u)^4 / 5 < 1e-16 relative, and no 0/0 at q = 1 exactly.
constexpr double kRoundLimit = 1e-4;

template <class T>
struct SieConst {
  MajorAxisFrame<T> f;
  T b;       // theta_E sqrt(q)
  T q2;      // q^2
  T sp;      // s = sqrt(1 - q^2)
  T b_sp;    // b / s (unused when round)
  T sp2_3;   // s^2 / 3
  T core;    // c
  T q2core;  // q^2 c
  T q2c2;    // q^2 c^2
  T c2;      // c^2
  T dcore;   // (1 + q^2) c^2
  bool round;

  explicit SieConst(const Sie& p) : SieConst(p, q_phi_from_e1e2(p.e1, p.e2)) {}
  SieConst(const Sie& p, AxisRatioAngle a) : f(p.center_x, p.center_y, a.phi) {
    const double q = a.q, s = std::sqrt((1.0 - q) * (1.0 + q)), c = kSieCore / std::sqrt(q);
    round = s < kRoundLimit;
    b = T(p.theta_E * std::sqrt(q));
    q2 = T(q * q);
    sp = T(s);
    b_sp = T(round ? 0.0 : p.theta_E * std::sqrt(q) / s);
    sp2_3 = T(s * s / 3.0);
    core = T(c);
    q2core = T(q * q * c);
    q2c2 = T(q * q * c * c);
    c2 = T(c * c);
    dcore = T((1.0 + q * q) * c * c);
  }

  /// Deflection in the major-axis frame at (xp, yp), with psi = sqrt(q^2 (c^2 + xp^2) + yp^2).
  template <bool Round>
  void major(T xp, T yp, T psi, T& axp, T& ayp) const {
    const T u = xp / (psi + core), v = yp / (psi + q2core);
    if constexpr (Round) {
      axp = b * u * (T(1) - sp2_3 * u * u);
      ayp = b * v * (T(1) + sp2_3 * v * v);
    } else {
      axp = b_sp * std::atan(sp * u);
      ayp = b_sp * std::atanh(sp * v);
    }
  }
};

template <bool Round, class T>
void deflection_loop(const SieConst<T> k, const T* __restrict x, const T* __restrict y, T* __restrict ax,
                     T* __restrict ay, std::size_t n) {
  const MajorAxisFrame<T> f = k.f;
  const T q2 = k.q2, q2c2 = k.q2c2;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - f.cx, dy = y[i] - f.cy;
    const T xp = f.c * dx + f.s * dy, yp = f.c * dy - f.s * dx;
    const T psi = std::sqrt(q2 * xp * xp + yp * yp + q2c2);
    T axp, ayp;
    k.template major<Round>(xp, yp, psi, axp, ayp);
    ax[i] += f.c * axp - f.s * ayp;
    ay[i] += f.s * axp + f.c * ayp;
  }
}

template <bool Round, class T>
void potential_loop(const SieConst<T> k, const T* __restrict x, const T* __restrict y, T* __restrict out,
                    std::size_t n) {
  const MajorAxisFrame<T> f = k.f;
  const T q2 = k.q2, q2c2 = k.q2c2, core = k.core, dcore = k.dcore, half_bc = T(0.5) * k.b * k.core;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - f.cx, dy = y[i] - f.cy;
    const T xp = f.c * dx + f.s * dy, yp = f.c * dy - f.s * dx;
    const T psi = std::sqrt(q2 * xp * xp + yp * yp + q2c2);
    T axp, ayp;
    k.template major<Round>(xp, yp, psi, axp, ayp);
    const T d = xp * xp + yp * yp + dcore + T(2) * core * psi;
    out[i] += xp * axp + yp * ayp - half_bc * std::log(d);
  }
}

}  // namespace

template <class T>
void deflection(const Sie& p, const T* x, const T* y, T* ax, T* ay, std::size_t n) {
  const SieConst<T> k(p);
  if (k.round)
    deflection_loop<true>(k, x, y, ax, ay, n);
  else
    deflection_loop<false>(k, x, y, ax, ay, n);
}

template <class T>
void potential(const Sie& p, const T* x, const T* y, T* psi, std::size_t n) {
  const SieConst<T> k(p);
  if (k.round)
    potential_loop<true>(k, x, y, psi, n);
  else
    potential_loop<false>(k, x, y, psi, n);
}

template <class T>
void hessian(const Sie& p, const T* __restrict x, const T* __restrict y, T* __restrict fxx, T* __restrict fxy,
             T* __restrict fyy, std::size_t n) {
  const SieConst<T> k(p);
  const MajorAxisFrame<T> f = k.f;
  const T b = k.b, q2 = k.q2, q2c2 = k.q2c2, c2 = k.c2, core = k.core, dcore = k.dcore;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - f.cx, dy = y[i] - f.cy;
    const T xp = f.c * dx + f.s * dy, yp = f.c * dy - f.s * dx;
    const T psi = std::sqrt(q2 * xp * xp + yp * yp + q2c2);
    const T cpsi = core * psi;
    const T w = b / (psi * (xp * xp + yp * yp + dcore + T(2) * cpsi));
    f.add_rotated((yp * yp + q2c2 + cpsi) * w, -xp * yp * w, (xp * xp + c2 + cpsi) * w, fxx[i], fxy[i], fyy[i]);
  }
}

template void deflection<float>(const Sie&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Sie&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Sie&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Sie&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Sie&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Sie&, const double*, const double*, double*, double*, double*, std::size_t);

}  // namespace lensforge::kernels
