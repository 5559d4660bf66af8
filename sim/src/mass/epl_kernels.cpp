// EPL kernels (lenstronomy "EPL", Tessore & Metcalf 2015, A&A 580, A79 and its corrigendum), in the
// major-axis frame with b = theta_E sqrt(q), t = gamma - 1, R = |(q x', y')| floored at kEplRFloor and
// e^{i phi} = (q x' + i y') / R:
//   alpha' = 2/(1+q) (b/R)^t R e^{i phi} 2F1(1, t/2; 2 - t/2; w),   w = -(1-q)/(1+q) e^{2 i phi},
//   potential = (x' alpha_x' + y' alpha_y') / (2 - t),
//   kappa = (2 - t)/2 (b/R)^t,
//   gamma_1' = (1-t) (alpha_x' cos - alpha_y' sin)/r - kappa cos 2theta,
//   gamma_2' = (1-t) (alpha_y' cos + alpha_x' sin)/r - kappa sin 2theta   (theta: polar angle of (x', y')).
// The hypergeometric function is its power series sum_n a_n w^n, a_0 = 1,
// a_n = a_{n-1} (2n - 2 + t)/(2n + 2 - t), with |w| = f = (1-q)/(1+q) < 1 and a_n decreasing (t < 2):
// after N terms the tail is below a_{N+1} f^{N+1} / (1 - f). N is chosen once per call so that this bound
// is under 1e-10 (double) / 1e-7 (float); it grows as ln(tol (1-f)) / ln f (double: q = 0.7: 9-13
// terms, q = 0.3: 25-37, q = 0.1: 73-117, q = 0.01: ~1000, for gamma from 1.2 to 2.8). Points are
// processed in blocks so that the n-loop runs over contiguous SIMD lanes.
#include <algorithm>
#include <cmath>

#include "kernels.hpp"

namespace lensforge::kernels {
namespace {

constexpr std::size_t kBlock = 128;

template <class T>
constexpr double kSeriesTolerance = sizeof(T) >= 8 ? 1e-10 : 1e-7;

/// Smallest N with a_{N+1} f^{N+1} / (1 - f) < tol.
std::size_t series_terms(double f, double t, double tol) {
  std::size_t n = 0;
  double a = 1.0, fn = 1.0;
  for (;;) {
    const double next = a * (2.0 * n + t) / (2.0 * n + 4.0 - t);  // a_{n+1}
    fn *= f;
    if (next * fn / (1.0 - f) < tol) return n;
    a = next;
    ++n;
  }
}

template <class T>
struct EplConst {
  MajorAxisFrame<T> f;
  T q, t, half_t, b2, ell, pref, kappa_pref, one_minus_t, inv_two_minus_t, r2floor;
  double t_d;
  std::size_t terms;

  explicit EplConst(const Epl& p) : EplConst(p, q_phi_from_e1e2(p.e1, p.e2)) {}
  EplConst(const Epl& p, AxisRatioAngle a) : f(p.center_x, p.center_y, a.phi) {
    const double qd = a.q, td = p.gamma - 1.0, fd = (1.0 - qd) / (1.0 + qd);
    q = T(qd);
    t = T(td);
    half_t = T(0.5 * td);
    b2 = T(p.theta_E * p.theta_E * qd);
    ell = T(fd);
    pref = T(2.0 / (1.0 + qd));
    kappa_pref = T(0.5 * (2.0 - td));
    one_minus_t = T(1.0 - td);
    inv_two_minus_t = T(1.0 / (2.0 - td));
    r2floor = T(kEplRFloor * kEplRFloor);
    t_d = td;
    terms = series_terms(fd, td, kSeriesTolerance<T>);
  }
};

/// Per block of m <= kBlock points: the major-axis coordinates, (b/R)^t and the series sum S, handed
/// to finish(i0, m, xp, yp, pw, sr, si) which forms alpha' = pref pw (q x' + i y') S and its outputs.
template <class T, class Finish>
void for_each_block(const EplConst<T>& k, const T* __restrict x, const T* __restrict y, std::size_t n,
                    Finish&& finish) {
  alignas(64) T xp[kBlock], yp[kBlock], wr[kBlock], wi[kBlock], tr[kBlock], ti[kBlock], sr[kBlock], si[kBlock],
      pw[kBlock];
  const MajorAxisFrame<T> f = k.f;
  const T q = k.q, ell = k.ell, half_t = k.half_t, b2 = k.b2, r2floor = k.r2floor;
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t m = std::min(kBlock, n - i0);
    const T* __restrict xb = x + i0;
    const T* __restrict yb = y + i0;
    for (std::size_t i = 0; i < m; ++i) {
      const T dx = xb[i] - f.cx, dy = yb[i] - f.cy;
      const T u = f.c * dx + f.s * dy, v = f.c * dy - f.s * dx;
      const T qu = q * u;
      const T inv_r2 = T(1) / std::max(qu * qu + v * v, r2floor);
      xp[i] = u;
      yp[i] = v;
      wr[i] = -ell * (qu * qu - v * v) * inv_r2;
      wi[i] = -ell * T(2) * qu * v * inv_r2;
      pw[i] = std::pow(b2 * inv_r2, half_t);
      tr[i] = T(1);
      ti[i] = T(0);
      sr[i] = T(1);
      si[i] = T(0);
    }
    for (std::size_t j = 1; j <= k.terms; ++j) {
      const T ratio = T((2.0 * j - 2.0 + k.t_d) / (2.0 * j + 2.0 - k.t_d));
      for (std::size_t i = 0; i < m; ++i) {
        const T re = ratio * (tr[i] * wr[i] - ti[i] * wi[i]);
        const T im = ratio * (tr[i] * wi[i] + ti[i] * wr[i]);
        tr[i] = re;
        ti[i] = im;
        sr[i] += re;
        si[i] += im;
      }
    }
    finish(i0, m, xp, yp, pw, sr, si);
  }
}

}  // namespace

template <class T>
void deflection(const Epl& p, const T* x, const T* y, T* ax, T* ay, std::size_t n) {
  const EplConst<T> k(p);
  const MajorAxisFrame<T> f = k.f;
  const T q = k.q, pref = k.pref;
  for_each_block(k, x, y, n,
                 [=](std::size_t i0, std::size_t m, const T* __restrict xp, const T* __restrict yp,
                     const T* __restrict pw, const T* __restrict sr, const T* __restrict si) {
                   T* __restrict axb = ax + i0;
                   T* __restrict ayb = ay + i0;
                   for (std::size_t i = 0; i < m; ++i) {
                     const T a = pref * pw[i], qu = q * xp[i];
                     const T axp = a * (qu * sr[i] - yp[i] * si[i]), ayp = a * (qu * si[i] + yp[i] * sr[i]);
                     axb[i] += f.c * axp - f.s * ayp;
                     ayb[i] += f.s * axp + f.c * ayp;
                   }
                 });
}

template <class T>
void potential(const Epl& p, const T* x, const T* y, T* psi, std::size_t n) {
  const EplConst<T> k(p);
  const T q = k.q, pref = k.pref, inv = k.inv_two_minus_t;
  for_each_block(k, x, y, n,
                 [=](std::size_t i0, std::size_t m, const T* __restrict xp, const T* __restrict yp,
                     const T* __restrict pw, const T* __restrict sr, const T* __restrict si) {
                   T* __restrict out = psi + i0;
                   for (std::size_t i = 0; i < m; ++i) {
                     const T a = pref * pw[i], qu = q * xp[i];
                     const T axp = a * (qu * sr[i] - yp[i] * si[i]), ayp = a * (qu * si[i] + yp[i] * sr[i]);
                     out[i] += (xp[i] * axp + yp[i] * ayp) * inv;
                   }
                 });
}

template <class T>
void hessian(const Epl& p, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n) {
  const EplConst<T> k(p);
  const MajorAxisFrame<T> f = k.f;
  const T q = k.q, pref = k.pref, kpref = k.kappa_pref, omt = k.one_minus_t, r2floor = k.r2floor;
  for_each_block(k, x, y, n,
                 [=](std::size_t i0, std::size_t m, const T* __restrict xp, const T* __restrict yp,
                     const T* __restrict pw, const T* __restrict sr, const T* __restrict si) {
                   T* __restrict hxx = fxx + i0;
                   T* __restrict hxy = fxy + i0;
                   T* __restrict hyy = fyy + i0;
                   for (std::size_t i = 0; i < m; ++i) {
                     const T u = xp[i], v = yp[i];
                     const T a = pref * pw[i], qu = q * u;
                     const T axp = a * (qu * sr[i] - v * si[i]), ayp = a * (qu * si[i] + v * sr[i]);
                     const T kappa = kpref * pw[i];
                     // cos, sin of the polar angle times r: (u, v); divided by r^2 once.
                     const T inv_r2 = T(1) / std::max(u * u + v * v, r2floor);
                     const T g1 = (omt * (axp * u - ayp * v) - kappa * (u * u - v * v)) * inv_r2;
                     const T g2 = (omt * (ayp * u + axp * v) - kappa * T(2) * u * v) * inv_r2;
                     f.add_rotated(kappa + g1, g2, kappa - g1, hxx[i], hxy[i], hyy[i]);
                   }
                 });
}

template void deflection<float>(const Epl&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Epl&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Epl&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Epl&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Epl&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Epl&, const double*, const double*, double*, double*, double*, std::size_t);

}  // namespace lensforge::kernels
